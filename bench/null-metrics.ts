/**
 * The stand-in for `src/telemetry/metrics.ts` in the bench's `sluice-no-metrics` target
 * (`bench/without-metrics.ts` puts it in that module's place): the same exports, and a
 * `SluiceMetrics` that does nothing — no families, none of prom-client's default metrics (its
 * event-loop delay monitor and GC observer), nothing per request or per HTTP answer — so the
 * figures of `sluice` over `sluice-no-metrics` are what metrics cost. The gateway still calls
 * `finished` once per request: one call of an empty function.
 */
import { Registry } from 'prom-client';
import type { SluiceMetrics as Real } from '../src/telemetry/metrics.ts';

export { LATENCY_BUCKETS_SECONDS, MAX_MODELS } from '../src/telemetry/metrics.ts';
export type { MetricsOptions } from '../src/telemetry/metrics.ts';

/** Every public member of the real class (its `#` fields are not part of it). */
type PublicOf<T> = { [K in keyof T]: T[K] };

export class SluiceMetrics implements PublicOf<Real> {
  /** Empty: `/metrics` answers 200 with no series. */
  readonly registry = new Registry();

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    return await this.registry.metrics();
  }

  /** No values for a primary to add up (`--workers`). */
  snapshot(): Promise<[]> {
    return Promise.resolve([]);
  }

  countHttp(): void {
    // nothing counted
  }

  finished(): void {
    // nothing observed
  }
}
