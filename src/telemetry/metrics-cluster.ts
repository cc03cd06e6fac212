/**
 * `/metrics` of a Sluice with several worker processes (`--workers`): the primary asks each
 * worker for its metrics as values (`SluiceMetrics.snapshot`) and adds them up with its own,
 * with prom-client's `AggregatorRegistry.aggregate`, so a scrape sees one Sluice:
 *
 * - counters and histograms are summed (requests, tokens, cost, latency buckets, CPU seconds);
 * - gauges of what is in flight are summed (streams open, bytes buffered, records pending), and
 *   so is `sluice_draining`, which then counts the workers draining (0 to N); prom-client's own
 *   gauges keep the aggregation it gives them (event-loop lag averaged, its minimum the
 *   smallest, its Node.js version the first), and the process gauges add up (memory, handles);
 * - the breaker state is each worker's own (every worker keeps its own circuit breakers), so it
 *   is shown per worker, with a `worker` label (1 to N);
 * - a worker that died and was replaced keeps counting: its counters and histograms as of the
 *   last scrape stay in the sums, so no counter goes backwards (a drop would read as a reset
 *   to Prometheus and inflate every `rate()`).
 *
 * The primary adds `sluice_workers` (serving now) and `sluice_worker_restarts_total`.
 */
import { AggregatorRegistry, Counter, Gauge } from 'prom-client';
import type { Exposition } from './metrics-access.ts';
import type { MetricsSnapshot, SnapshotMetric } from './metrics-snapshot.ts';
import type { SluiceMetrics } from './metrics.ts';

/** Gauges that describe one worker rather than the whole: shown per worker. */
const PER_WORKER: ReadonlySet<string> = new Set(['sluice_upstream_breaker_state']);

/** Kinds of metric whose values only grow, and so outlive the worker that counted them. */
const CUMULATIVE: ReadonlySet<string> = new Set(['counter', 'histogram']);

export interface WorkerSnapshot {
  /** The worker's place, 1 to N: a replacement takes the place of the worker it replaces. */
  readonly slot: number;
  /** The worker process's own id, never reused (node:cluster's `worker.id`). */
  readonly id: number;
  readonly metrics: MetricsSnapshot;
}

export class ClusterMetrics {
  readonly #own: SluiceMetrics;
  readonly #workers: Gauge;
  readonly #restarts: Counter;
  /** Each worker's counters and histograms at the last scrape, by worker id. */
  readonly #last = new Map<number, MetricsSnapshot>();
  /** Those of workers that are gone, summed. */
  #retired: MetricsSnapshot = [];

  /** `own`: the primary's metrics (its process, and scrapes of `SLUICE_METRICS_LISTEN`). */
  constructor(own: SluiceMetrics) {
    this.#own = own;
    const registers = [own.registry];
    this.#workers = new Gauge({
      name: 'sluice_workers',
      help: 'Worker processes serving the port now (SLUICE_WORKERS).',
      registers,
    });
    this.#restarts = new Counter({
      name: 'sluice_worker_restarts_total',
      help: 'Worker processes that ended without being asked to, each replaced by a new one.',
      registers,
    });
  }

  set workers(n: number) {
    this.#workers.set(n);
  }

  countRestart(): void {
    this.#restarts.inc();
  }

  /** The primary's metrics and every worker's, added up. */
  async render(workers: readonly WorkerSnapshot[]): Promise<Exposition> {
    const own = (await this.#own.registry.getMetricsAsJSON()) as unknown as MetricsSnapshot;
    const parts: MetricsSnapshot[] = [own, this.#retired];
    for (const worker of workers) {
      this.#last.set(
        worker.id,
        worker.metrics.filter((m) => CUMULATIVE.has(m.type)),
      );
      parts.push(worker.metrics.map((m) => (PER_WORKER.has(m.name) ? labelled(m, worker) : m)));
    }
    const registry = AggregatorRegistry.aggregate(parts);
    return { contentType: registry.contentType, text: await registry.metrics() };
  }

  /** Worker `id` is gone: what it had counted at the last scrape stays in the sums. */
  async retire(id: number): Promise<void> {
    const last = this.#last.get(id);
    if (last === undefined) return;
    this.#last.delete(id);
    const sum = AggregatorRegistry.aggregate([this.#retired, last]);
    this.#retired = (await sum.getMetricsAsJSON()) as unknown as MetricsSnapshot;
  }
}

function labelled(metric: SnapshotMetric, worker: WorkerSnapshot): SnapshotMetric {
  return {
    ...metric,
    values: metric.values.map((v) => ({ ...v, labels: { ...v.labels, worker: worker.slot } })),
  };
}
