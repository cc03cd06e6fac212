/**
 * The `Lease` both backends hand out (ends once, never throws at the caller), and the timer that
 * keeps live ones renewed.
 */
import type { Lease } from './types.ts';

export type Used = Parameters<Lease['end']>[0];

/** For admissions where no subject has a limit: nothing was taken, nothing to give back. */
export const EMPTY_LEASE: Lease = { end: () => Promise.resolve() };

/**
 * Wraps a backend's charge so a second `end` is a no-op and a failure is logged, not thrown:
 * the caller is usually writing its usage record next, and that record matters more.
 */
export function endOnce(
  charge: (used: Used) => Promise<void> | void,
  onError: (err: unknown) => void,
): Lease {
  let ended = false;
  return {
    async end(used) {
      if (ended) return;
      ended = true;
      try {
        await charge(used);
      } catch (err) {
        onError(err);
      }
    },
  };
}

/**
 * Runs `tick` every `intervalMs` without keeping the process alive for it. Returns the stop
 * function. `tick` handles its own errors.
 */
export function repeat(intervalMs: number, tick: () => Promise<void>): () => void {
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
