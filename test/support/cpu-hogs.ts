/**
 * Busy loops that keep cores busy while timing-sensitive code runs: `yes` into /dev/null, one
 * process per hog, each under `timeout` so that none outlives its deadline even if whoever
 * started it dies without stopping it. Each leads its own process group; stop() kills the group.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { livingInGroup } from './process.ts';

export interface CpuHogs {
  /** The process groups (their leaders' PIDs). */
  readonly groups: readonly number[];
  /** CPU seconds the hogs have used so far, all together. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * Starts `count` hogs that end by themselves after `maxSeconds`, and resolves once each has
 * been seen using CPU (so a measurement that follows really runs beside them).
 */
export async function startCpuHogs(count: number, maxSeconds: number): Promise<CpuHogs> {
  const groups: number[] = [];
  const stopAll = (): void => {
    for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
  };
  process.once('exit', stopAll);
  for (let i = 0; i < count; i++) {
    const child = spawn('timeout', ['-s', 'KILL', String(maxSeconds), 'yes'], {
      stdio: 'ignore',
      detached: true,
    });
    child.unref();
    if (child.pid === undefined) throw new Error('could not start a CPU hog (timeout yes)');
    groups.push(child.pid);
  }
  const cpuSeconds = (): number =>
    groups.flatMap(livingInGroup).reduce((sum, pid) => sum + cpuTicks(pid), 0) / TICKS_PER_SECOND;
  // Bounded wait until every hog has run at least a tick.
  for (let tries = 0; tries < 100; tries++) {
    const busy = groups.filter((pgid) => livingInGroup(pgid).some((pid) => cpuTicks(pid) > 0));
    if (busy.length === groups.length) break;
    await sleep(20);
  }
  return {
    groups,
    cpuSeconds,
    async stop() {
      // `timeout` passes SIGTERM on to its `yes` and reaps it; SIGKILL only for what outlasts that.
      for (const pgid of groups) signalLeader(pgid, 'SIGTERM');
      const alive = (): boolean => groups.some((g) => livingInGroup(g).length > 0);
      for (let tries = 0; tries < 100 && alive(); tries++) await sleep(20);
      stopAll();
      process.removeListener('exit', stopAll);
    },
  };
}

/** utime + stime of a process, in clock ticks (0 once it is gone). */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  } catch {
    return 0;
  }
}

function signalLeader(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
