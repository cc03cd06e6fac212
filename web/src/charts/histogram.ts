/**
 * Time-to-first-byte values into buckets for the distribution chart. The edges grow roughly
 * geometrically: what matters is 80 ms vs 300 ms and 2 s vs 20 s, not 1510 vs 1530 ms.
 */
export const TTFB_EDGES_MS: readonly number[] = [
  50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10_000,
];

export interface Bucket {
  readonly label: string;
  readonly count: number;
}

/** Buckets `[0, e1)`, `[e1, e2)`, …, `[last, ∞)`; trailing empty buckets past the largest value are dropped. */
export function histogram(
  values: readonly number[],
  edges: readonly number[] = TTFB_EDGES_MS,
): Bucket[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const value of values) {
    let i = edges.findIndex((edge) => value < edge);
    if (i === -1) i = edges.length;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  let end = counts.length;
  while (end > 1 && counts[end - 1] === 0) end--;
  return counts.slice(0, end).map((count, i) => ({ label: bucketLabel(edges, i), count }));
}

function bucketLabel(edges: readonly number[], i: number): string {
  const low = i === 0 ? 0 : (edges[i - 1] ?? 0);
  const high = edges[i];
  return high === undefined ? `≥${ms(low)}` : `${ms(low)}–${ms(high)}`;
}

function ms(value: number): string {
  return value >= 1000 ? `${value / 1000}s` : String(value);
}
