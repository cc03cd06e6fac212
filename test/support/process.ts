/**
 * Runs a real service binary (nginx, tinyproxy, danted…) as a child of the test process, waits
 * until it listens, and stops it by PID. Nothing it starts may outlive the test process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForPort } from './ports.ts';

/** Which Debian package ships each binary, for the error when one is missing. */
const DEBIAN_PACKAGES: Readonly<Record<string, string>> = {
  nginx: 'nginx',
  tinyproxy: 'tinyproxy',
  danted: 'dante-server',
  microsocks: 'microsocks',
  chromium: 'chromium',
};

const OUTPUT_LIMIT = 64 * 1024;
const STOP_GRACE_MS = 5_000;

export interface StartProcessOptions {
  /** Names the service in errors. */
  readonly name: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Resolve only once 127.0.0.1:readyPort accepts connections. */
  readonly readyPort?: number;
  readonly readyTimeoutMs?: number;
  /** The Debian package to name if `cmd` is missing; defaults from the binary's name. */
  readonly debianPackage?: string;
  /** Called with each complete line the child writes to stdout (a report, a port). */
  readonly onStdoutLine?: (line: string) => void;
  /**
   * Keep the parent's event loop alive while the child runs (a script waiting on it). Tests
   * leave this off: a forgotten stop() must not keep a test file alive.
   */
  readonly holdParent?: boolean;
}

export interface ChildHandle {
  readonly pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
  /** The last 64 KiB of its stdout and stderr, interleaved. */
  output(): string;
  /** Resolves when it exits, with how (`code 0`, `signal SIGTERM`). */
  readonly exited: Promise<string>;
  /** Resolves once its stdout has closed: every line it wrote has been seen. */
  readonly stdoutClosed: Promise<void>;
}

/** Process groups still running; the exit hook kills them. */
const running = new Set<number>();

export async function startProcess(
  cmd: string,
  args: readonly string[],
  options: StartProcessOptions,
): Promise<ChildHandle> {
  await requireExecutable(cmd, options);
  installExitHooks();

  // detached: the child leads its own process group, so nginx workers and danted's children
  // can be killed with it (kill(-pgid)) even if the leader dies first.
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let buffered = '';
  const capture = (chunk: Buffer): void => {
    buffered += chunk.toString('utf8');
    if (buffered.length > OUTPUT_LIMIT) buffered = buffered.slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', capture);
  child.stderr.on('data', capture);
  const stdoutClosed = new Promise<void>((resolve) => child.stdout.once('close', resolve));
  const { onStdoutLine } = options;
  if (onStdoutLine !== undefined) {
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onStdoutLine(line);
    });
  }
  const output = (): string => buffered;

  const exited = new Promise<string>((resolve, reject) => {
    child.once('exit', (code, signal) => {
      resolve(signal ? `signal ${signal}` : `code ${String(code)}`);
    });
    child.once('error', reject);
  });
  const pid = child.pid;
  if (pid === undefined) {
    const error = await exited.then(
      () => undefined,
      (cause: unknown) => cause,
    );
    throw new Error(`${options.name}: could not start ${cmd}`, { cause: error });
  }
  running.add(pid);
  let stopping: Promise<void> | undefined;
  child.once('exit', () => {
    // A leader that crashed may leave workers behind; stop() drains the group itself.
    if (stopping) return;
    signalGroup(pid, 'SIGKILL');
    running.delete(pid);
  });
  // A forgotten stop() must not keep the test file alive; the exit hook then kills the child.
  if (options.holdParent !== true) unref(child);

  const stop = (): Promise<void> => (stopping ??= terminate(child, pid, exited));
  const handle: ChildHandle = { pid, stop, output, exited, stdoutClosed };

  if (options.readyPort !== undefined) {
    const gone = new AbortController();
    void exited.then(
      (how) => {
        gone.abort(new Error(`${options.name} exited (${how}) before listening`));
      },
      (cause: unknown) => {
        gone.abort(cause);
      },
    );
    try {
      await waitForPort(options.readyPort, {
        timeoutMs: options.readyTimeoutMs ?? 10_000,
        stderr: output,
        signal: gone.signal,
      });
    } catch (error) {
      await stop();
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`${options.name} did not become ready: ${detail}\n${output()}`, {
        cause: error,
      });
    }
  }
  return handle;
}

async function terminate(child: ChildProcess, pid: number, exited: Promise<string>): Promise<void> {
  ref(child);
  const deadline = Date.now() + STOP_GRACE_MS;
  const leaderGone = exited.then(
    () => true,
    () => true,
  );
  if (child.exitCode === null && child.signalCode === null) {
    // The leader only: nginx's master and danted's main process stop their own children.
    process.kill(pid, 'SIGTERM');
    const timer = new AbortController();
    const inTime = await Promise.race([
      leaderGone,
      sleep(STOP_GRACE_MS, false, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    if (!inTime) signalGroup(pid, 'SIGKILL');
    await leaderGone;
  }
  // danted's main process exits without waiting for its children, which keep serving open
  // sessions for seconds: tell the orphans too, then kill whatever outlasts the grace period.
  if (livingInGroup(pid).length > 0) signalGroup(pid, 'SIGTERM');
  await drainGroup(pid, deadline);
  if (livingInGroup(pid).length > 0) {
    signalGroup(pid, 'SIGKILL');
    await drainGroup(pid, Date.now() + 1_000);
  }
  running.delete(pid);
  const left = livingInGroup(pid);
  if (left.length > 0) throw new Error(`processes ${left.join(', ')} survived SIGKILL`);
}

async function drainGroup(pgid: number, deadline: number): Promise<void> {
  while (livingInGroup(pgid).length > 0 && Date.now() < deadline) await sleep(20);
}

/**
 * PIDs in process group `pgid` that have not exited, from /proc (Linux). Zombies do not count:
 * orphans are reaped by PID 1, which in containers may take a while, and they hold nothing.
 */
export function livingInGroup(pgid: number): number[] {
  const living: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') living.push(Number(entry));
  }
  return living;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function unref(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdout, child.stderr])
    (stream as { unref?(): void } | null)?.unref?.();
}

function ref(child: ChildProcess): void {
  child.ref();
  for (const stream of [child.stdout, child.stderr]) (stream as { ref?(): void } | null)?.ref?.();
}

let hooksInstalled = false;

/**
 * 'exit' covers normal ends (including failed tests); the signals cover a runner that is
 * interrupted or times out, where Node would otherwise die without running 'exit' listeners.
 */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAll();
      process.removeListener(signal, onSignal);
      // Keep the default behaviour (die by that signal) unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function killAll(): void {
  for (const pgid of running) signalGroup(pgid, 'SIGKILL');
  running.clear();
}

/** Throws, naming the Debian package to install, unless `cmd` is an executable (on PATH). */
export async function requireExecutable(
  cmd: string,
  options: Pick<StartProcessOptions, 'name' | 'debianPackage'>,
): Promise<void> {
  const candidates = cmd.includes('/')
    ? [cmd]
    : (process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, cmd));
  for (const path of candidates) {
    try {
      await access(path, constants.X_OK);
      return;
    } catch {
      // try the next one
    }
  }
  const base = cmd.slice(cmd.lastIndexOf('/') + 1);
  const pkg = options.debianPackage ?? DEBIAN_PACKAGES[base];
  throw new Error(
    `${options.name}: ${cmd} is not installed` +
      (pkg ? `; install the Debian package: apt-get install ${pkg}` : '') +
      ' (.ci/run installs every service the tests need; they are never skipped)',
  );
}
