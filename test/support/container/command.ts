/**
 * Runs a command to completion within a time bound (podman build, mmdebstrap, npm pack): on
 * timeout its whole process group is stopped, and the error quotes the end of its output.
 */
import { spawn } from 'node:child_process';
import { requireExecutable } from '../process.ts';

const OUTPUT_LIMIT = 64 * 1024;
const KILL_GRACE_MS = 10_000;

export interface CommandOptions {
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** The Debian package to name if the command is missing. */
  readonly debianPackage?: string;
}

export interface CommandResult {
  readonly stdout: string;
  /** stdout and stderr interleaved, the last 64 KiB. */
  readonly output: string;
}

export async function runCommand(
  cmd: string,
  args: readonly string[],
  options: CommandOptions,
): Promise<CommandResult> {
  await requireExecutable(cmd, {
    name: cmd,
    ...(options.debianPackage === undefined ? {} : { debianPackage: options.debianPackage }),
  });
  // detached: its own process group, so a timeout stops podman's or mmdebstrap's children too.
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let output = '';
  const keep = (text: string): string => text.slice(-OUTPUT_LIMIT);
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    output = keep(output + chunk.toString('utf8'));
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output = keep(output + chunk.toString('utf8'));
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const state = { timedOut: false };
  const timer = setTimeout(() => {
    state.timedOut = true;
    signalGroup('SIGTERM');
    setTimeout(signalGroup, KILL_GRACE_MS, 'SIGKILL').unref();
  }, options.timeoutMs);
  const killOnExit = (): void => {
    signalGroup('SIGKILL');
  };
  process.once('exit', killOnExit);
  try {
    const how = await new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      // 'close', not 'exit': every byte of its output has been read.
      child.once('close', (code, signal) => {
        resolve(code === 0 ? 'ok' : signal !== null ? `signal ${signal}` : `code ${String(code)}`);
      });
    });
    if (state.timedOut) {
      throw new Error(
        `${cmd} ${args.join(' ')}: did not finish within ${options.timeoutMs} ms; its output:\n${output}`,
      );
    }
    if (how !== 'ok') throw new Error(`${cmd} ${args.join(' ')}: exited (${how}):\n${output}`);
    return { stdout, output };
  } finally {
    clearTimeout(timer);
    process.removeListener('exit', killOnExit);
  }
}
