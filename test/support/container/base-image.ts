/**
 * A local stand-in for the official `node:24-slim`, which no registry here serves (issue #14):
 * a Debian root made by mmdebstrap from the machine's own Debian mirror, merged-usr and without
 * docs, man pages and locales, as debian:bookworm-slim is; plus the Node 24 the project pins
 * (node_modules/node), npm, a `node` user of uid 1000 and this machine's CA certificates
 * (base-root.sh). It is tagged `node:24-slim`, so the project's Dockerfile builds on it as it is.
 *
 * Built once per Node version, npm version and recipe, then kept: later runs find the tag and
 * skip the build (under a minute here; 3–4 minutes were seen on a busier machine).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeScratchDir } from '../scratch-dir.ts';
import { runCommand } from './command.ts';
import { withHostLock } from './host-lock.ts';
import type { Podman } from './podman.ts';

/** What the Dockerfile's FROM names: Podman's full name for `node:24-slim`. */
export const OFFICIAL_IMAGE = 'docker.io/library/node:24-slim';
/** Where the cached stand-ins are kept, one tag per Node version, npm version and recipe. */
const CACHE_REPOSITORY = 'localhost/sluice-test/node-24-slim';

const NODE_BINARY = fileURLToPath(new URL('../../../node_modules/node/bin/node', import.meta.url));
const HOOK = fileURLToPath(new URL('base-root.sh', import.meta.url));

/** minbase with debian:*-slim's exclusions; the merged-usr hook keeps /bin etc. as links. */
const MMDEBSTRAP_OPTIONS = [
  '--variant=minbase',
  '--format=tar',
  '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
  '--dpkgopt=path-exclude=/usr/share/man/*',
  '--dpkgopt=path-exclude=/usr/share/info/*',
  '--dpkgopt=path-exclude=/usr/share/locale/*',
  '--dpkgopt=path-exclude=/usr/share/doc/*',
  '--dpkgopt=path-include=/usr/share/doc/*/copyright',
];

export interface StandIn {
  /** The cached image's own tag. */
  readonly tag: string;
  /** Whether this call built it (false: found from an earlier run). */
  readonly built: boolean;
}

/** Ensures the stand-in exists (building it within `timeoutMs` if not) and tags it node:24-slim. */
export async function standInNodeSlim(podman: Podman, timeoutMs: number): Promise<StandIn> {
  if (!existsSync(NODE_BINARY)) {
    throw new Error(`${NODE_BINARY} is missing: run \`npm ci\`, which installs the pinned Node 24`);
  }
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  const nodeVersion = (await runCommand(NODE_BINARY, ['--version'], { timeoutMs: 30_000 })).stdout
    .trim()
    .replace(/^v/, '');
  const npmVersion = (await runCommand('npm', ['--version'], { timeoutMs: 60_000 })).stdout.trim();
  const recipe = createHash('sha256')
    .update(readFileSync(HOOK))
    .update(JSON.stringify(MMDEBSTRAP_OPTIONS))
    .digest('hex')
    .slice(0, 12);
  const tag = `${CACHE_REPOSITORY}:node${nodeVersion}-npm${npmVersion}-${recipe}`;

  // One build at a time: the container and compose tests may both find it missing.
  return withHostLock('base-image', async () => {
    const built = !(await podman.succeeds(['image', 'exists', tag]));
    if (built) await build(podman, { tag, nodeVersion, npmVersion, timeoutMs: left });
    await podman.run(['tag', tag, OFFICIAL_IMAGE]);
    if (built) await removeOlderStandIns(podman, tag);
    return { tag, built };
  });
}

async function build(
  podman: Podman,
  plan: {
    readonly tag: string;
    readonly nodeVersion: string;
    readonly npmVersion: string;
    readonly timeoutMs: () => number;
  },
): Promise<void> {
  const dir = await makeScratchDir('base-image');
  try {
    // npm as the official image has it: the registry's own tarball (its dependencies bundled).
    // The version is this machine's npm, whichever Node 24 release bundles.
    const packed = await runCommand(
      'npm',
      ['pack', `npm@${plan.npmVersion}`, '--pack-destination', dir.path, '--silent'],
      { timeoutMs: Math.min(plan.timeoutMs(), 180_000) },
    );
    const npmTarball = dir.file(packed.stdout.trim().split('\n').at(-1) ?? '');
    const rootfs = dir.file('rootfs.tar');
    await runCommand(
      'mmdebstrap',
      [
        ...MMDEBSTRAP_OPTIONS,
        `--customize-hook=sh ${quote(HOOK)} "$1" ${quote(NODE_BINARY)} ${quote(npmTarball)}`,
        debianSuite(),
        rootfs,
        ...debianSources(),
      ],
      { timeoutMs: plan.timeoutMs(), debianPackage: 'mmdebstrap' },
    );
    await podman.run(
      [
        'import',
        '--change',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change',
        `ENV NODE_VERSION=${plan.nodeVersion}`,
        '--change',
        'CMD ["node"]',
        rootfs,
        plan.tag,
      ],
      { timeoutMs: plan.timeoutMs() },
    );
  } finally {
    await dir.remove();
  }
}

/** Stand-ins for other Node or npm versions or an older recipe: only the current one is kept. */
async function removeOlderStandIns(podman: Podman, current: string): Promise<void> {
  const listed = await podman.run([
    'images',
    '--filter',
    `reference=${CACHE_REPOSITORY}`,
    '--format',
    '{{.Repository}}:{{.Tag}}',
  ]);
  // The filter matches images, and lists each one's every name (node:24-slim too): keep ours.
  const older = listed.stdout
    .split('\n')
    .filter((name) => name.startsWith(`${CACHE_REPOSITORY}:`) && name !== current);
  if (older.length === 0) return;
  try {
    await podman.run(['rmi', '--ignore', ...older]);
  } catch {
    // Still used by a container: pruning the cache is a courtesy, not what the test checks.
  }
}

/** One word for sh, whatever the path holds. */
function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The host's Debian release: the stand-in is made from the same mirror apt here uses. */
function debianSuite(): string {
  const release = readFileSync('/etc/os-release', 'utf8');
  const codename = /^VERSION_CODENAME=(\w+)$/m.exec(release)?.[1];
  if (codename === undefined)
    throw new Error('no VERSION_CODENAME in /etc/os-release: not Debian?');
  return codename;
}

/** The host's Debian sources (mmdebstrap takes sources files as mirrors), or deb.debian.org. */
function debianSources(): string[] {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'].filter(
    (file) => existsSync(file) && /^\s*(deb|Types:)/m.test(readFileSync(file, 'utf8')),
  );
  return files.length > 0 ? files : ['http://deb.debian.org/debian'];
}
