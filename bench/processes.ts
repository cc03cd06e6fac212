/**
 * Child processes of the benchmark, pinned to a core where `taskset` exists, and all stopped by
 * PID when the run ends or is interrupted.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const running = new Set<ChildProcess>();
let hooked = false;

export const HAS_TASKSET = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Starts `cmd` on `core` (when pinning is possible); its stdout lines go to `onLine`. */
export function startChild(
  cmd: string,
  args: readonly string[],
  options: {
    core: number;
    env?: NodeJS.ProcessEnv;
    onLine?: (line: string) => void;
    /** A file for the child's stderr (its log), as nginx writes its logs to files. */
    stderrFile?: string;
  },
): ChildProcess {
  hookExit();
  const [file, argv] =
    HAS_TASKSET && options.core < availableParallelism()
      ? ['taskset', ['-c', String(options.core), cmd, ...args]]
      : [cmd, [...args]];
  const stderr = options.stderrFile === undefined ? 'pipe' : openSync(options.stderrFile, 'a');
  // Each child leads its own process group, so stopping it stops what it started too (nginx's
  // workers); the exit hook below stops the groups if the benchmark itself is interrupted.
  const child = spawn(file, argv, {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', stderr],
    detached: true,
  });
  if (typeof stderr === 'number') closeSync(stderr);
  running.add(child);
  child.once('exit', () => running.delete(child));
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    buffered += text;
    for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
      options.onLine?.(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  child.stderr?.resume();
  return child;
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => {
    signalGroup(child, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

/** The first stdout line that parses as JSON. */
export function firstJsonLine<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (text: Buffer | string) => {
      buffered += text.toString();
      const nl = buffered.indexOf('\n');
      if (nl !== -1) resolve(JSON.parse(buffered.slice(0, nl)) as T);
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`child exited (${String(code ?? signal)}) before reporting`));
    });
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const child of running) signalGroup(child, 'SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}
