/** Small robust statistics for timelines: medians and "how many are close to it", never means of outliers. */

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? upper) + upper) / 2;
}

/** The share of `values` within ±`tolerance` (a ratio) of `center`. */
export function shareNear(values: readonly number[], center: number, tolerance: number): number {
  if (values.length === 0) return 0;
  const near = values.filter((v) => Math.abs(v - center) <= Math.abs(center) * tolerance);
  return near.length / values.length;
}

/** Consecutive differences: [b - a, c - b, …]. */
export function gaps(values: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < values.length; i++) out.push((values[i] ?? 0) - (values[i - 1] ?? 0));
  return out;
}

/** Rounded to a multiple of `step` (1, 0.1, 0.01…), without binary fractions like 0.30000000000000004. */
export function round(value: number, step = 1): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return Number((Math.round(value / step) * step).toFixed(decimals));
}

/** "4 KiB", "2.9 KiB", "812 B". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const kib = bytes / 1024;
  return `${kib >= 10 || Number.isInteger(kib) ? Math.round(kib) : kib.toFixed(1)} KiB`;
}

/** "850 ms", "2.0 s", "61 s". */
export function formatMs(ms: number): string {
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Math.abs(s) < 10 ? s.toFixed(1) : Math.round(s)} s`;
}
