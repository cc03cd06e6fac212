/**
 * `sluice_inter_event_gap_seconds`: the silences between a stream's writes to its client. The
 * gateway counts them into fixed buckets as it writes (`gateway/gaps.ts`, a compare per write);
 * a finished stream's counts are added here whole. prom-client's `Histogram` takes one
 * observation at a time and has no way to add counts, so this is a metric of its own: a
 * `Registry` accepts any object that answers `get()` with the values its metrics give
 * (`lib/registry.js`: `name`, `help`, `type`, and `values` of `{ metricName, labels, value }`;
 * `reset()` for `resetMetrics()`), in the layout `lib/histogram.js` exports — cumulative
 * `_bucket` series with `le`, then `+Inf`, `_sum` and `_count`.
 */
import type { Metric, Registry } from 'prom-client';
import { GAP_BUCKETS_SECONDS, type Gaps } from '../gateway/index.ts';

const NAME = 'sluice_inter_event_gap_seconds';

interface Series {
  /** Per bucket, not cumulative; the last is above every bound. */
  readonly counts: Float64Array;
  sumSeconds: number;
  count: number;
}

interface Value {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

export class GapHistogram {
  readonly name = NAME;
  readonly help =
    'Silences between the writes of a stream to its client (events and keepalives), by model and upstream.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** model → upstream → counts. */
  readonly #series = new Map<string, Map<string, Series>>();

  constructor(registry: Registry) {
    // Not one of prom-client's classes, which is all its typings name; the registry reads only
    // the members above (see the comment at the top).
    registry.registerMetric(this as unknown as Metric);
  }

  /** Adds one finished stream's gaps. */
  add(model: string, upstream: string, gaps: Gaps): void {
    if (gaps.count === 0) return;
    let byUpstream = this.#series.get(model);
    if (byUpstream === undefined) {
      byUpstream = new Map();
      this.#series.set(model, byUpstream);
    }
    let series = byUpstream.get(upstream);
    if (series === undefined) {
      series = { counts: new Float64Array(gaps.counts.length), sumSeconds: 0, count: 0 };
      byUpstream.set(upstream, series);
    }
    for (let i = 0; i < gaps.counts.length; i++)
      series.counts[i] = (series.counts[i] as number) + (gaps.counts[i] as number);
    series.sumSeconds += gaps.sumMs / 1000;
    series.count += gaps.count;
  }

  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: Value[];
  }> {
    const values: Value[] = [];
    for (const [model, byUpstream] of this.#series) {
      for (const [upstream, series] of byUpstream) {
        let cumulative = 0;
        GAP_BUCKETS_SECONDS.forEach((le, i) => {
          cumulative += series.counts[i] as number;
          values.push({
            metricName: `${NAME}_bucket`,
            labels: { le, model, upstream },
            value: cumulative,
          });
        });
        values.push(
          {
            metricName: `${NAME}_bucket`,
            labels: { le: '+Inf', model, upstream },
            value: series.count,
          },
          { metricName: `${NAME}_sum`, labels: { model, upstream }, value: series.sumSeconds },
          { metricName: `${NAME}_count`, labels: { model, upstream }, value: series.count },
        );
      }
    }
    const { name, help, type, aggregator } = this;
    return Promise.resolve({ name, help, type, aggregator, values });
  }

  reset(): void {
    this.#series.clear();
  }
}
