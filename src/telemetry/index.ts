export {
  LATENCY_BUCKETS_SECONDS,
  MAX_MODELS,
  type MetricsOptions,
  SluiceMetrics,
} from './metrics.ts';
export { type Exposition, type MetricsAccess, serveMetrics } from './metrics-access.ts';
export { ClusterMetrics, type WorkerSnapshot } from './metrics-cluster.ts';
export type { LiveState } from './metrics-live.ts';
export { isSnapshot, type MetricsSnapshot } from './metrics-snapshot.ts';
// traces.ts imports the OpenTelemetry SDK only inside startTracing, and only when an endpoint
// is set: exporting it here loads none of it (test/traces.test.ts, "tracing off").
export { startTracing, type Tracing, type TracingOptions } from './traces.ts';
