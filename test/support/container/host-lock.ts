/**
 * A lock held across processes on this machine, for builds two test files may start at once
 * (the suite runs two files in parallel, and both need the cached base image). flock(1) takes
 * the lock and says so on stdout; closing its stdin releases it, and so does its death: a test
 * process killed mid-build leaves no stale lock behind.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function withHostLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const holder = spawn(
    'flock',
    [join(tmpdir(), `sluice-test-${name}.lock`), 'sh', '-c', 'echo held; exec cat'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  try {
    const [line] = (await Promise.race([
      once(holder.stdout, 'data'),
      once(holder, 'exit').then(([code]) => {
        throw new Error(`flock exited (${String(code)}) before taking the ${name} lock`);
      }),
    ])) as [Buffer];
    if (line.toString().trim() !== 'held') throw new Error(`flock said ${line.toString()}`);
    return await work();
  } finally {
    holder.stdin.end();
    if (holder.exitCode === null) await once(holder, 'exit');
  }
}
