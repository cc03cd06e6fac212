/**
 * Sluice's image run by podman, attached (`podman run --rm`, not `-d`): the client's output is
 * the container's log, and the client exits with the container's exit code. Host networking, so
 * the fake upstream and tinyproxy on loopback are reachable as they are; Sluice listens on a
 * free loopback port rather than the image's 0.0.0.0:8080.
 */
import { type ChildHandle, startProcess } from '../process.ts';
import { freePort } from '../ports.ts';
import type { Podman } from './podman.ts';

export interface RunningContainer {
  readonly name: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Resolves with how the container ended (`code 0`): the attached client's exit. */
  readonly exited: Promise<string>;
  /** What the container wrote (Sluice's JSON log), and podman's own messages. */
  log(): string;
  /** Runs a command inside it (`podman exec`). */
  exec(args: readonly string[]): Promise<string>;
}

export interface ContainerOptions {
  readonly image: string;
  readonly name: string;
  /** Mounted at /data, the image's volume. */
  readonly volume: string;
  readonly env: Readonly<Record<string, string>>;
}

export async function runContainer(
  podman: Podman,
  options: ContainerOptions,
): Promise<RunningContainer> {
  const port = await freePort();
  const env = { ...options.env, HOST: '127.0.0.1', PORT: String(port) };
  podman.adopt('container', options.name);
  podman.adopt('volume', options.volume);
  const child: ChildHandle = await startProcess(
    'podman',
    [
      'run',
      '--rm',
      '--pull=never',
      '--name',
      options.name,
      '--network',
      'host',
      '--volume',
      `${options.volume}:/data`,
      // The image's HEALTHCHECK stays; only podman's timer for it goes, which needs systemd.
      // The test runs the check itself (`podman healthcheck run`).
      '--health-interval',
      'disable',
      ...Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
      options.image,
    ],
    {
      name: `container ${options.name}`,
      env: podman.env,
      readyPort: port,
      // Creating the container and starting Node on a busy 2-core machine.
      readyTimeoutMs: 120_000,
      debianPackage: 'podman',
    },
  );
  return {
    name: options.name,
    url: `http://127.0.0.1:${port}`,
    exited: child.exited,
    log: () => child.output(),
    exec: async (args) => (await podman.run(['exec', options.name, ...args])).stdout,
  };
}
