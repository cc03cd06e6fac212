/**
 * Local images for every service of compose.yaml, since no registry is reachable where the tests
 * run (issue #14): a service with `build` gets the project's image, built by podman from its
 * Dockerfile on the stand-in node:24-slim (base-image.ts); nginx, PostgreSQL and Redis get
 * stand-ins for their official images, made from Debian's packages on the same Debian base
 * (images/*.Containerfile). Each is cached by content (cached-image.ts): the project's image on
 * a digest of its build context, the stand-ins on their Containerfile and files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { standInNodeSlim } from './base-image.ts';
import { contextDigest } from './build-context.ts';
import { type CachedImage, cachedImage } from './cached-image.ts';
import type { ComposeProject } from './compose-file.ts';
import type { Podman } from './podman.ts';

const IMAGES = fileURLToPath(new URL('images/', import.meta.url));
const REPOSITORY = 'localhost/sluice-test/compose';

/** The official images compose.yaml names, by repository, and the stand-in for each. */
const STAND_INS: Readonly<Record<string, string>> = {
  nginx: 'nginx',
  postgres: 'postgres',
  redis: 'redis',
};

export interface ComposeImages {
  /** Service name → the local image its containers run. */
  readonly images: Readonly<Record<string, string>>;
  /** One line per image: which, and whether this run built it. */
  readonly report: readonly string[];
}

export async function buildComposeImages(
  podman: Podman,
  project: ComposeProject,
  timeoutMs: number,
): Promise<ComposeImages> {
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(60_000, deadline - Date.now());
  const base = await standInNodeSlim(podman, timeoutMs / 2);
  const report = [`${base.tag}: ${base.built ? 'built' : 'cached'}`];
  const images: Record<string, string> = {};
  // One after another: a build takes both cores of the machines the tests run on.
  for (const service of project.services) {
    let image: CachedImage;
    if (service.build !== undefined) {
      const { context, dockerfile } = service.build;
      image = await cachedImage(podman, {
        repository: `${REPOSITORY}-${service.name}`,
        inputs: [base.tag, contextDigest(context, dockerfile)],
        build: async (tag) => {
          await podman.run(
            [
              'build',
              // Docker's image format: the OCI one drops HEALTHCHECK.
              ...['--format', 'docker', '--network', 'host', '--layers=false'],
              ...['--tag', tag, '--file', join(context, dockerfile), context],
            ],
            { timeoutMs: left() },
          );
        },
      });
    } else {
      const official = service.image ?? '';
      const standIn = STAND_INS[official.replace(/:.*$/, '')];
      if (standIn === undefined)
        throw new Error(
          `services.${service.name}.image ${official}: no local stand-in for it ` +
            '(test/support/container/images/)',
        );
      image = await standInImage(podman, standIn, base.tag, left);
    }
    images[service.name] = image.tag;
    report.push(`${service.name}: ${image.tag}: ${image.built ? 'built' : 'cached'}`);
  }
  return { images, report };
}

function standInImage(
  podman: Podman,
  name: string,
  baseTag: string,
  left: () => number,
): Promise<CachedImage> {
  const containerfile = `${name}.Containerfile`;
  // The Containerfile and the files it copies (named after it: postgres-entrypoint.sh).
  const files = readdirSync(IMAGES)
    .filter((file) => file === containerfile || file.startsWith(`${name}-`))
    .sort();
  return cachedImage(podman, {
    repository: `${REPOSITORY}-${name}`,
    inputs: [baseTag, ...files.flatMap((file) => [file, readFileSync(join(IMAGES, file))])],
    build: async (tag) => {
      await podman.run(
        [
          'build',
          ...['--format', 'docker', '--network', 'host', '--layers=false'],
          ...['--build-arg', `BASE=${baseTag}`],
          ...['--tag', tag, '--file', join(IMAGES, containerfile), IMAGES],
        ],
        { timeoutMs: left() },
      );
    },
  });
}
