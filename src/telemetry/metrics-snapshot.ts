/**
 * One process's metrics as values (prom-client's `getMetricsAsJSON()`), as they travel from a
 * worker to its primary: plain JSON. prom-client's typings call `type` an enum; at run time it
 * is the text of the exposition (`counter`, `gauge`, `histogram`, `summary`).
 */
export interface SnapshotValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  /** For a histogram's `_bucket`, `_sum` and `_count` series. */
  readonly metricName?: string;
}

export interface SnapshotMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  /** How values of several processes combine: `sum` unless the metric says otherwise. */
  readonly aggregator: string;
  readonly values: readonly SnapshotValue[];
}

export type MetricsSnapshot = readonly SnapshotMetric[];

/** Whether `value` has the shape of a snapshot (it came over a process boundary). */
export function isSnapshot(value: unknown): value is MetricsSnapshot {
  return (
    Array.isArray(value) &&
    value.every(
      (m: unknown) =>
        typeof m === 'object' &&
        m !== null &&
        typeof (m as SnapshotMetric).name === 'string' &&
        Array.isArray((m as SnapshotMetric).values),
    )
  );
}
