/**
 * The doctor's own stalls. A busy machine deschedules the doctor's process now and then (issue
 * 15; two test suites on two cores: one stall of 468 ms): what arrived meanwhile waits in the
 * socket and is read when it resumes, late by the stall. A ticker tells. Each turn of the event
 * loop reads whatever is waiting, so data read in a turn arrived after the turn before; while the
 * loop turns, ticks come every TICK_MS. A read whose tick before last lies further back than two
 * ticks and some jitter followed a stall: its data may have waited in the doctor since that tick.
 */
/** How often the ticker runs while a capture is open. */
export const TICK_MS = 5;
/** Jitter of a loaded but running event loop, beyond the ticks themselves. */
const JITTER_MS = 15;

export interface StallWatch {
  /**
   * For a read happening now: since when its data may have waited in the doctor, when the doctor
   * stalled just before; undefined when it was listening.
   */
  blindFrom(readMs: number): number | undefined;
  stop(): void;
}

/**
 * `now`: the capture's clock. `awakeSince`: since when (on that clock) ticks have been free to
 * run — always, for a process; since the page was last shown, for a browser tab, whose timers a
 * hidden tab runs at most once a second while its reads go on. A late read excuses nothing
 * unless the ticker could have run all the while before it.
 */
export function watchStalls(
  now: () => number,
  awakeSince: () => number = () => -Infinity,
): StallWatch {
  let last = now();
  let beforeLast = last;
  const ticker = setInterval(() => {
    beforeLast = last;
    last = now();
  }, TICK_MS);
  // A process's ticker must not keep it alive; a browser's timers have no such thing.
  (ticker as { unref?: () => void }).unref?.();
  return {
    blindFrom: (readMs) =>
      readMs - beforeLast > 2 * TICK_MS + JITTER_MS && beforeLast >= awakeSince()
        ? beforeLast
        : undefined,
    stop: () => {
      clearInterval(ticker);
    },
  };
}
