/** `GET /metrics`: Prometheus text exposition of what is in flight and what has been served. */
import type { StreamStats } from '../gateway/index.ts';
import type { BreakerState, Upstream } from '../upstream/index.ts';

/** What is in flight at the moment `/metrics` is read. */
export interface Gauges {
  readonly streams: StreamStats;
  readonly usagePending: number;
  /** Bytes of the budget of request bodies in flight taken now. */
  readonly bodyBytes: number;
  readonly draining: boolean;
  readonly upstreams: readonly Upstream[];
}

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 };

export class Metrics {
  /** Per route, counts by status class: index 1 is 1xx … 5 is 5xx. */
  readonly #responses = new Map<string, number[]>();

  /** Counts one finished request by route and status class (`2xx`, `4xx`, …). */
  count(route: string, status: number): void {
    let counts = this.#responses.get(route);
    if (counts === undefined) {
      counts = [0, 0, 0, 0, 0, 0];
      this.#responses.set(route, counts);
    }
    const index = Math.min(5, Math.max(1, Math.floor(status / 100)));
    counts[index] = (counts[index] ?? 0) + 1;
  }

  render({ streams, usagePending, bodyBytes, draining, upstreams }: Gauges): string {
    const lines = [
      '# HELP sluice_requests_total Requests answered, by route and status class.',
      '# TYPE sluice_requests_total counter',
      ...[...this.#responses].flatMap(([route, counts]) =>
        counts.flatMap((n, i) =>
          n === 0 ? [] : [`sluice_requests_total{route="${route}",code="${i}xx"} ${n}`],
        ),
      ),
      '# HELP sluice_streams_open Relayed requests in flight.',
      '# TYPE sluice_streams_open gauge',
      `sluice_streams_open ${streams.open}`,
      '# HELP sluice_streams_paused Streams whose upstream read is paused because the client is not reading.',
      '# TYPE sluice_streams_paused gauge',
      `sluice_streams_paused ${streams.paused}`,
      '# HELP sluice_client_buffered_bytes Bytes written to clients that their sockets have not taken yet.',
      '# TYPE sluice_client_buffered_bytes gauge',
      `sluice_client_buffered_bytes ${streams.bufferedBytes}`,
      '# HELP sluice_usage_records_pending Usage records waiting to be written (they wait while the store is down).',
      '# TYPE sluice_usage_records_pending gauge',
      `sluice_usage_records_pending ${usagePending}`,
      '# HELP sluice_request_body_bytes_inflight Memory held by request bodies in flight (at most SLUICE_MAX_BODY_INFLIGHT).',
      '# TYPE sluice_request_body_bytes_inflight gauge',
      `sluice_request_body_bytes_inflight ${bodyBytes}`,
      '# HELP sluice_draining 1 while shutting down.',
      '# TYPE sluice_draining gauge',
      `sluice_draining ${draining ? 1 : 0}`,
      '# HELP sluice_upstream_breaker_state Whether requests skip an upstream (key="") or one of its keys: 0 closed, 1 open (skipped), 2 half-open (one request may try).',
      '# TYPE sluice_upstream_breaker_state gauge',
      ...upstreams.flatMap((u) => [
        `sluice_upstream_breaker_state{upstream="${label(u.name)}",key=""} ${STATE_VALUE[u.health.state]}`,
        ...(u.keys.length < 2
          ? []
          : u.keys.map(
              (k) =>
                `sluice_upstream_breaker_state{upstream="${label(u.name)}",key="${label(k.id)}"} ${STATE_VALUE[k.health.state]}`,
            )),
      ]),
    ];
    return lines.join('\n') + '\n';
  }
}

/** A label value in the exposition format: backslash, quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
