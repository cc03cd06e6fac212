/** What a process costs, read from /proc: CPU seconds and resident memory. */
import { readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

/** utime + stime of each pid, in seconds. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / TICKS;
}

/** Resident memory of each pid, summed, in KiB. */
export function rssKiB(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(match?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return total;
}

/** A process's children (e.g. nginx's workers). */
export function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(' ').map(Number);
  } catch {
    return [];
  }
}

/** Samples the peak RSS of `pids()` every `everyMs` until stopped. */
export function peakRss(pids: () => readonly number[], everyMs = 100): { stop(): number } {
  let peak = rssKiB(pids());
  const timer = setInterval(() => {
    peak = Math.max(peak, rssKiB(pids()));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssKiB(pids()));
    },
  };
}

export function cpuModel(): string {
  try {
    return (
      /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ??
      'unknown CPU'
    );
  } catch {
    return 'unknown CPU';
  }
}
