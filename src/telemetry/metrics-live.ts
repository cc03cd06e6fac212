/**
 * The gauges of what is in flight, read when `/metrics` is read (prom-client's `collect`), not
 * kept up to date on the hot path.
 */
import { Gauge, type Registry } from 'prom-client';
import type { StreamStats } from '../gateway/index.ts';
import type { BreakerState, Upstream } from '../upstream/index.ts';

/** What is in flight at the moment `/metrics` is read. */
export interface LiveState {
  readonly streams: StreamStats;
  /** Usage records waiting for the store. */
  readonly usagePending: number;
  /** Bytes of the budget of request bodies in flight taken now. */
  readonly bodyBytes: number;
  readonly draining: boolean;
  readonly upstreams: readonly Upstream[];
}

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 };

/** Registers the gauges; each reads `now()` (undefined: keep the last values) when collected. */
export function registerLiveGauges(registry: Registry, now: () => LiveState | undefined): void {
  const registers = [registry];
  const simple: [string, string, (live: LiveState) => number][] = [
    ['sluice_streams_open', 'Relayed requests in flight.', (l) => l.streams.open],
    [
      'sluice_streams_paused',
      'Streams whose upstream read is paused because the client is not reading.',
      (l) => l.streams.paused,
    ],
    [
      'sluice_client_buffered_bytes',
      'Bytes written to clients that their sockets have not taken yet.',
      (l) => l.streams.bufferedBytes,
    ],
    [
      'sluice_usage_records_pending',
      'Usage records waiting to be written (they wait while the store is down).',
      (l) => l.usagePending,
    ],
    [
      'sluice_request_body_bytes_inflight',
      'Memory held by request bodies in flight (at most SLUICE_MAX_BODY_INFLIGHT).',
      (l) => l.bodyBytes,
    ],
    ['sluice_draining', '1 while shutting down.', (l) => (l.draining ? 1 : 0)],
  ];
  for (const [name, help, read] of simple) {
    new Gauge({
      name,
      help,
      registers,
      // Across workers (`metrics-cluster.ts`) each of these adds up: streams of all of them,
      // and `sluice_draining` counts the workers draining.
      aggregator: 'sum',
      collect() {
        const live = now();
        if (live !== undefined) this.set(read(live));
      },
    });
  }
  new Gauge({
    name: 'sluice_upstream_breaker_state',
    help: 'Whether requests skip an upstream (key="") or one of its keys: 0 closed, 1 open (skipped), 2 half-open (one request may try).',
    labelNames: ['upstream', 'key'],
    registers,
    collect() {
      const live = now();
      if (live === undefined) return;
      // Upstreams come and go with a reload: only today's are shown.
      this.reset();
      for (const u of live.upstreams) {
        this.set({ upstream: u.name, key: '' }, STATE_VALUE[u.health.state]);
        if (u.keys.length < 2) continue;
        for (const k of u.keys)
          this.set({ upstream: u.name, key: k.id }, STATE_VALUE[k.health.state]);
      }
    },
  });
}
