/**
 * Child processes of the benchmark: test/support's `startProcess` (own process group, stopped by
 * PID when the run ends or is interrupted, waits until it listens), pinned to a core where
 * `taskset` exists, with the first JSON line each child prints (its port, or its report).
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { type ChildHandle, startProcess } from '../test/support/process.ts';

/** Where the benchmark pins what it measures, and its load generator and upstream. */
export const TARGET_CORE = 0;
export const HARNESS_CORE = 1;

export const HAS_TASKSET = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface BenchChild extends ChildHandle {
  /** The first stdout line that parses as JSON; rejects if the child exits before it. */
  firstJson<T>(): Promise<T>;
}

/** Starts `cmd` on `core` (when pinning is possible; taskset execs it, so the PID is its own). */
export async function startChild(
  cmd: string,
  args: readonly string[],
  options: {
    readonly core: number;
    readonly env?: NodeJS.ProcessEnv;
    /** Resolve once it listens on 127.0.0.1:readyPort. */
    readonly readyPort?: number;
  },
): Promise<BenchChild> {
  const [file, argv] =
    HAS_TASKSET && options.core < availableParallelism()
      ? ['taskset', ['-c', String(options.core), cmd, ...args]]
      : [cmd, [...args]];
  let report: (line: string) => void = () => undefined;
  const firstLine = new Promise<string>((resolve) => {
    report = resolve;
  });
  const handle = await startProcess(file, argv, {
    name: cmd.slice(cmd.lastIndexOf('/') + 1),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.readyPort === undefined ? {} : { readyPort: options.readyPort }),
    readyTimeoutMs: 15_000,
    holdParent: true,
    onStdoutLine: (line) => {
      if (line.startsWith('{')) report(line);
    },
  });
  const died = Promise.all([handle.exited, handle.stdoutClosed]).then(([how]) => {
    throw new Error(`${cmd} exited (${how}) before reporting:\n${handle.output()}`);
  });
  died.catch(() => undefined); // a child that reported and then exited is no error
  return {
    ...handle,
    firstJson: <T>() => Promise.race([firstLine, died]).then((line) => JSON.parse(line) as T),
  };
}
