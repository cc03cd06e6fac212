/**
 * Debian's podman, configured the way it runs on these machines (issue #14, found by trying):
 * crun refuses the hybrid cgroups here, so runc; setrlimit(RLIMIT_NOFILE) is refused, so no
 * default ulimits; no systemd, so cgroupfs and a file events log. The settings go in a
 * containers.conf of the test's own (CONTAINERS_CONF), never in the machine's.
 *
 * Containers, volumes and images a test makes are adopted here and removed by close(), or at
 * process exit if close() never ran.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { requireExecutable } from '../process.ts';
import { makeScratchDir } from '../scratch-dir.ts';
import { type CommandResult, runCommand } from './command.ts';

const CONTAINERS_CONF = `# Written by test/support/container/podman.ts for one test run.
[containers]
# The default (nofile=1048576) makes the runtime call setrlimit, which is refused here.
default_ulimits = []

[engine]
# crun 1.8 refuses this machine's hybrid cgroup v1/v2 layout; runc runs on it.
runtime = "runc"
# No systemd to ask for cgroups or to keep the events journal.
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

export type Adopted = 'container' | 'volume' | 'image';

export interface Podman {
  /** The environment for a podman child process: CONTAINERS_CONF points at the test's config. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs `podman ARGS` to completion (default bound: 2 minutes). */
  run(args: readonly string[], options?: { readonly timeoutMs?: number }): Promise<CommandResult>;
  /** Whether `podman ARGS` exits 0 (`image exists`, `volume exists`). */
  succeeds(args: readonly string[]): Promise<boolean>;
  /** Removes `name` in close(). */
  adopt(kind: Adopted, name: string): void;
  /** Removes every adopted container, volume and image, then the config. */
  close(): Promise<void>;
}

export async function openPodman(): Promise<Podman> {
  for (const [cmd, pkg] of [
    ['podman', 'podman'],
    ['runc', 'runc'],
  ] as const) {
    await requireExecutable(cmd, { name: 'the container test', debianPackage: pkg });
  }
  const dir = await makeScratchDir('podman');
  const conf = dir.file('containers.conf');
  await writeFile(conf, CONTAINERS_CONF);
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const adopted: Record<Adopted, Set<string>> = {
    container: new Set(),
    volume: new Set(),
    image: new Set(),
  };

  const run = (args: readonly string[], options: { readonly timeoutMs?: number } = {}) =>
    runCommand('podman', args, {
      env,
      timeoutMs: options.timeoutMs ?? 120_000,
      debianPackage: 'podman',
    });
  /** The commands that remove what was adopted: containers first, they hold the rest. */
  const removals = (): string[][] => {
    const commands: string[][] = [];
    if (adopted.container.size > 0)
      commands.push(['rm', '--force', '--ignore', '--time', '0', ...adopted.container]);
    // `volume rm` has no --ignore: one volume per command, so a missing one stops nothing.
    for (const volume of adopted.volume) commands.push(['volume', 'rm', '--force', volume]);
    if (adopted.image.size > 0) commands.push(['rmi', '--force', '--ignore', ...adopted.image]);
    return commands;
  };
  const removeSync = (): void => {
    for (const args of removals()) spawnSync('podman', args, { env, stdio: 'ignore' });
  };
  process.on('exit', removeSync);

  return {
    env,
    run,
    async succeeds(args) {
      try {
        await run(args);
        return true;
      } catch {
        return false;
      }
    },
    adopt(kind, name) {
      adopted[kind].add(name);
    },
    async close() {
      process.removeListener('exit', removeSync);
      const failures: string[] = [];
      for (const args of removals()) {
        try {
          await run(args);
        } catch (error) {
          // A volume never created is not a failure; anything else is reported below.
          if (!(args[0] === 'volume' && /no such volume/i.test(String(error))))
            failures.push(String(error));
        }
      }
      for (const names of Object.values(adopted)) names.clear();
      await dir.remove();
      if (failures.length > 0) throw new Error(`podman clean-up failed:\n${failures.join('\n')}`);
    },
  };
}
