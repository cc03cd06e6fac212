/**
 * The browser's view of a stream's health, from when each token arrived — a pure function of
 * arrival times, so it is tested without a browser.
 *
 * A chain that streams delivers tokens one or two per read, spaced at the model's pace. A hop
 * that buffers (nginx `proxy_buffering`, a compressor, a CDN) holds them and lets them go in
 * bursts: many tokens at once after a long silence, or the whole answer at once at its end. Those are the two patterns flagged; the doctor (`sluice doctor`) then names the hop.
 */

/** Arrivals within one animation frame of each other came together, whatever their count. */
export const FRAME_MS = 20;
/**
 * Tokens arriving faster than this were not generated as they arrived but released together:
 * 2 ms a token is 500 tokens/s, beyond what a model streams. The reads of one released buffer
 * still resolve a little apart (the page does other work between them), so a burst is judged
 * by its rate, not by landing in a single read.
 */
export const MS_PER_TOKEN = 2;
/** A burst holds at least this many tokens: a fast model gives a few per frame. */
export const BURST_MIN_DELTAS = 8;
/** …and follows a silence at least this long (a model pauses; a buffer holds much longer). */
export const BURST_GAP_MS = 1000;

export type BurstFinding =
  | { readonly kind: 'buffered'; readonly deltas: number }
  | { readonly kind: 'burst'; readonly deltas: number; readonly gapMs: number };

export interface HealthReadout {
  /** From sending the question to the first token, ms; null while waiting. */
  readonly ttftMs: number | null;
  /** Tokens (approximated by deltas) so far. */
  readonly deltas: number;
  /** Tokens per second between the first and the last token; null until measurable. */
  readonly tokensPerSecond: number | null;
  readonly finding: BurstFinding | null;
  readonly ended: boolean;
}

/** Tokens that arrived together: at one frame, or at a rate no model streams at. */
interface Cluster {
  readonly start: number;
  /** The silence before it: since the last token, or since the question for the first. */
  readonly gapBefore: number;
  deltas: number;
}

export class StreamMeter {
  readonly #sentAt: number;
  #firstAt: number | null = null;
  #lastAt: number | null = null;
  #deltas = 0;
  #cluster: Cluster | null = null;
  #clusters = 0;
  #finding: BurstFinding | null = null;
  #ended = false;

  constructor(sentAt: number) {
    this.#sentAt = sentAt;
  }

  /** One read of the response: how many tokens it brought and whether the answer ended in it. */
  record(at: number, deltas: number, ended: boolean): void {
    if (deltas > 0) {
      this.#firstAt ??= at;
      const cluster = this.#cluster;
      const window = Math.max(FRAME_MS, ((cluster?.deltas ?? 0) + deltas) * MS_PER_TOKEN);
      if (cluster !== null && at - cluster.start <= window) cluster.deltas += deltas;
      else {
        this.#clusters += 1;
        this.#cluster = {
          start: at,
          gapBefore: at - (this.#lastAt ?? this.#sentAt),
          deltas,
        };
      }
      this.#lastAt = at;
      this.#deltas += deltas;
      this.#checkBurst();
    }
    if (ended && !this.#ended) {
      this.#ended = true;
      const cluster = this.#cluster;
      // Every token came in the one burst that ended the answer: it was held until finished.
      if (this.#clusters === 1 && cluster !== null && cluster.deltas >= BURST_MIN_DELTAS) {
        this.#finding = { kind: 'buffered', deltas: cluster.deltas };
      }
    }
  }

  #checkBurst(): void {
    const cluster = this.#cluster;
    if (cluster === null || cluster.deltas < BURST_MIN_DELTAS || cluster.gapBefore < BURST_GAP_MS)
      return;
    if (this.#finding?.kind === 'buffered') return;
    if (this.#finding === null || cluster.deltas > this.#finding.deltas)
      this.#finding = { kind: 'burst', deltas: cluster.deltas, gapMs: cluster.gapBefore };
  }

  readout(): HealthReadout {
    const first = this.#firstAt;
    const last = this.#lastAt;
    const spanMs = first === null || last === null ? 0 : last - first;
    return {
      ttftMs: first === null ? null : first - this.#sentAt,
      deltas: this.#deltas,
      // The first token starts the clock, so it is not counted in the rate.
      tokensPerSecond: spanMs >= 100 ? ((this.#deltas - 1) * 1000) / spanMs : null,
      finding: this.#finding,
      ended: this.#ended,
    };
  }
}
