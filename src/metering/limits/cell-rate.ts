/**
 * GCRA (generic cell rate algorithm) over a one-minute window, shared by requests per minute and
 * tokens per minute. The theoretical arrival time is kept as `base + cells × 60000 / rate`: a
 * whole-millisecond base plus a count of cells not yet folded into it, so no fractional time is
 * ever stored or rounded and `rpm` requests pass in a burst exactly, whatever `rpm` is
 * (60000 / 37 ms is not a float that adds up to 60000 again). `lua/cell-rate.lua` is the same
 * arithmetic for Redis; the shared test suite holds the two to it.
 */

export const WINDOW_MS = 60_000;

/** Margin added to a state's lifetime so clock skew between instances never drops a live one. */
const EXPIRY_MARGIN_MS = 1_000;

export interface CellRate {
  /** Whole milliseconds. */
  readonly base: number;
  /** Cells of `WINDOW_MS / rate` each, `0 <= cells < rate` once normalised. */
  readonly cells: number;
  /** The limit the cells were counted at; a changed limit folds them into `base`. */
  readonly rate: number;
}

/** `rate` cells per minute; a limit below 1 refuses everything. */
export function usableRate(limit: number): number {
  return Math.floor(limit);
}

/** The state at `now` counted at `rate`: a theoretical arrival time in the past is an empty one. */
export function settle(state: CellRate | undefined, rate: number, now: number): CellRate {
  if (state === undefined || state.rate < 1) return { base: now, cells: 0, rate };
  let { base, cells } = state;
  if (state.rate !== rate) {
    base += Math.ceil((cells * WINDOW_MS) / state.rate);
    cells = 0;
  }
  // TAT < now, multiplied through by rate to stay in integers.
  if ((base - now) * rate + cells * WINDOW_MS < 0) return { base: now, cells: 0, rate };
  return { base, cells, rate };
}

/** Adds `count` cells (requests or tokens) to a settled state. */
export function addCells(state: CellRate, count: number): CellRate {
  const cells = state.cells + count;
  if (cells < state.rate) return { ...state, cells };
  const whole = Math.floor(cells / state.rate);
  return {
    base: state.base + whole * WINDOW_MS,
    cells: cells - whole * state.rate,
    rate: state.rate,
  };
}

export type RateVerdict =
  { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/**
 * Requests per minute: one more request moves TAT by T = 60000 / rpm and may not put it more
 * than a window ahead of now, so `rpm` pass at once and then one per T.
 */
export function checkRequest(state: CellRate, now: number): RateVerdict {
  const { base, cells, rate } = state;
  if (rate < 1) return { ok: false, retryAfterSeconds: 60 };
  // (TAT + T - 60000 - now) × rate
  const excess = (base - now) * rate + (cells + 1) * WINDOW_MS - WINDOW_MS * rate;
  if (excess <= 0) return { ok: true };
  return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(excess / (1000 * rate))) };
}

/**
 * Tokens per minute: tokens are charged when a request ends, possibly deep into debt, so a
 * request passes while TAT is less than a window ahead of now.
 */
export function checkTokens(state: CellRate, now: number): RateVerdict {
  const { base, cells, rate } = state;
  if (rate < 1) return { ok: false, retryAfterSeconds: 60 };
  // (TAT - 60000 - now) × rate; passing needs it below zero, i.e. a retry strictly later.
  const debt = (base - now) * rate + cells * WINDOW_MS - WINDOW_MS * rate;
  if (debt < 0) return { ok: true };
  return { ok: false, retryAfterSeconds: Math.floor(debt / (1000 * rate)) + 1 };
}

/** How long the state matters: once TAT has passed it is the same as none. */
export function lifetimeMs(state: CellRate, now: number): number {
  const tat = state.base + (state.cells * WINDOW_MS) / state.rate;
  return Math.max(0, Math.ceil(tat - now)) + EXPIRY_MARGIN_MS;
}
