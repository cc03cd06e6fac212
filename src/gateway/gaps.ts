/**
 * The silences between the writes of one stream, counted into fixed buckets as they happen: a
 * compare or a few per write, no allocation. Metrics fold a finished stream's counts into
 * `sluice_inter_event_gap_seconds`.
 */

/** Upper bounds in seconds, from a token's pace to a reasoning model's pause. */
export const GAP_BUCKETS_SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
] as const;
const BOUNDS_MS = GAP_BUCKETS_SECONDS.map((s) => s * 1000);

export class Gaps {
  /** `counts[i]`: gaps of at most `GAP_BUCKETS_SECONDS[i]` and more than the bound before; the last, above every bound. */
  readonly counts = new Uint32Array(BOUNDS_MS.length + 1);
  /** Sum of every gap, ms. */
  sumMs = 0;
  count = 0;

  add(ms: number): void {
    let i = 0;
    while (i < BOUNDS_MS.length && ms > (BOUNDS_MS[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sumMs += ms;
    this.count++;
  }
}
