/**
 * An image kept between test runs under a tag that is a digest of everything it is built from:
 * a run whose inputs are unchanged finds the tag and builds nothing; a changed input makes a new
 * tag, and once that is built the repository's older tags go (the cache holds one per
 * repository). The images live in podman's store like any other, under localhost/sluice-test/.
 */
import { createHash } from 'node:crypto';
import { withHostLock } from './host-lock.ts';
import type { Podman } from './podman.ts';

export interface CachedImage {
  readonly tag: string;
  /** Whether this call built it (false: an earlier run did). */
  readonly built: boolean;
}

export async function cachedImage(
  podman: Podman,
  options: {
    /** `localhost/sluice-test/NAME` */
    readonly repository: string;
    /** Everything the image is built from (file contents, the base image's tag, …). */
    readonly inputs: readonly (string | Buffer)[];
    readonly build: (tag: string) => Promise<void>;
  },
): Promise<CachedImage> {
  const hash = createHash('sha256');
  for (const input of options.inputs) hash.update(input).update('\0');
  const tag = `${options.repository}:${hash.digest('hex').slice(0, 16)}`;
  return withHostLock(options.repository.replaceAll('/', '-'), async () => {
    if (await podman.succeeds(['image', 'exists', tag])) return { tag, built: false };
    await options.build(tag);
    await removeOlderTags(podman, options.repository, tag);
    return { tag, built: true };
  });
}

async function removeOlderTags(podman: Podman, repository: string, current: string) {
  const listed = await podman.run([
    'images',
    '--filter',
    `reference=${repository}`,
    '--format',
    '{{.Repository}}:{{.Tag}}',
  ]);
  const older = listed.stdout
    .split('\n')
    .filter((name) => name.startsWith(`${repository}:`) && name !== current);
  if (older.length === 0) return;
  try {
    await podman.run(['rmi', '--ignore', ...older]);
  } catch {
    // Still used by a container (another run's): pruning is a courtesy, not what is tested.
  }
}
