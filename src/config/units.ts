/** Human units in configuration: durations (`15s`, `500ms`, `10m`, `1h`) and sizes (`32mb`). */

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const sizeUnits: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * The longest duration a timer takes, ~24.8 days (2^31 − 1 ms): Node runs a longer one after
 * 1 ms, so a timeout of `9999h` fired at once.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * A duration in ms; a bare number is milliseconds. `undefined` when the text is not one, or is
 * longer than `MAX_DURATION_MS`.
 */
export function parseDuration(text: string): number | undefined {
  return asDuration(parseWithUnits(text, durationUnits, 'ms'));
}

/** `ms` when a timer can wait that long, else `undefined`. */
export function asDuration(ms: number | undefined): number | undefined {
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION_MS
    ? ms
    : undefined;
}

/** A size in bytes; a bare number is bytes. `undefined` when the text is not one. */
export function parseSize(text: string): number | undefined {
  return parseWithUnits(text, sizeUnits, 'b');
}

function parseWithUnits(
  text: string,
  units: Record<string, number>,
  bare: string,
): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const factor = units[(match[2] ?? '').toLowerCase() || bare];
  if (factor === undefined) return undefined;
  return Math.round(Number(match[1]) * factor);
}
