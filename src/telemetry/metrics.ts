/**
 * Sluice's Prometheus metrics, with prom-client: one `Registry` per running Sluice (never the
 * global one, so several can run in one process), Node.js's and the process's default metrics,
 * and the families the gateway's reports feed. Each finished request is counted once, after the
 * fact, from its report (`gateway/observer.ts`): nothing is done per streamed event, and per
 * request only counter and histogram updates by label. prom-client hashes the labels on every
 * update, bound children (`labels(…)`) included, so none are cached here.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { MetricsLabel } from '../config/index.ts';
import type { GatewayObserver, RequestReport } from '../gateway/index.ts';
import type { UsageRecord } from '../store/types.ts';
import { GapHistogram } from './metrics-gaps.ts';
import { failureReason, LabelCap, routeLabel } from './metrics-labels.ts';
import { type LiveState, registerLiveGauges } from './metrics-live.ts';
import type { MetricsSnapshot } from './metrics-snapshot.ts';

/**
 * Seconds, for first token, first byte and whole requests: from a cached answer's tens of
 * milliseconds to a reasoning model's minutes.
 */
export const LATENCY_BUCKETS_SECONDS = [
  0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 20, 30, 60, 120, 300,
] as const;

/** Model names kept as label values; a wildcard upstream takes any name a client sends. */
export const MAX_MODELS = 500;

/** The error codes of the limits (`metering/limits`): a key's or user's rate, streams, budget. */
const LIMIT_CODES = [
  'rate_limit_exceeded',
  'too_many_streams',
  'insufficient_quota',
  'budget_held',
] as const;
const LIMIT_CODE_SET: ReadonlySet<string> = new Set(LIMIT_CODES);

/**
 * `direction` of `sluice_tokens_total`, in the records' (and OpenAI's) sense: `input` counts
 * cached tokens too and `output` reasoning tokens too, so `input` + `output` is the total and
 * `cached`, `reasoning` are parts of them.
 */
const TOKEN_DIRECTIONS = [
  ['input', 'promptTokens'],
  ['output', 'completionTokens'],
  ['cached', 'cachedTokens'],
  ['reasoning', 'reasoningTokens'],
] as const satisfies readonly (readonly [string, keyof UsageRecord])[];

export interface MetricsOptions {
  /** `key` and `user` labels on requests, tokens and cost (`SLUICE_METRICS_LABELS`). */
  readonly labels: readonly MetricsLabel[];
}

export class SluiceMetrics implements GatewayObserver {
  readonly registry = new Registry();
  readonly #byKey: boolean;
  readonly #byUser: boolean;
  readonly #models = new LabelCap(MAX_MODELS);
  readonly #requests: Counter;
  readonly #ttft: Histogram<'model' | 'upstream'>;
  readonly #ttfb: Histogram<'model' | 'upstream'>;
  readonly #duration: Histogram<'route' | 'model' | 'upstream'>;
  readonly #gaps: GapHistogram;
  readonly #tokens: Counter;
  readonly #cost: Counter;
  readonly #failures: Counter<'upstream' | 'reason'>;
  readonly #failovers: Counter<'upstream'>;
  readonly #held: Counter<'upstream'>;
  readonly #refusals: Counter<'reason'>;
  readonly #http: Counter<'route_class' | 'code'>;
  /** What the server said is in flight, for the gauges of the scrape under way. */
  #live: LiveState | undefined;

  constructor({ labels }: MetricsOptions) {
    this.#byKey = labels.includes('key');
    this.#byUser = labels.includes('user');
    const who = [...(this.#byKey ? ['key'] : []), ...(this.#byUser ? ['user'] : [])];
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    registerLiveGauges(this.registry, () => this.#live);

    this.#requests = new Counter({
      name: 'sluice_requests_total',
      help: 'Finished /v1 requests, refused ones included, by route, model, upstream, HTTP status and end reason.',
      labelNames: ['route', 'model', 'upstream', 'status', 'end_reason', ...who],
      registers,
    });
    const buckets = [...LATENCY_BUCKETS_SECONDS];
    this.#ttft = new Histogram({
      name: 'sluice_time_to_first_token_seconds',
      help: 'From the request to the first event carrying content (text, reasoning, a tool call) sent to the client.',
      labelNames: ['model', 'upstream'],
      buckets,
      registers,
    });
    this.#ttfb = new Histogram({
      name: 'sluice_time_to_first_byte_seconds',
      help: 'From the request to the first byte of the answer sent to the client.',
      labelNames: ['model', 'upstream'],
      buckets,
      registers,
    });
    this.#duration = new Histogram({
      name: 'sluice_request_duration_seconds',
      help: 'From the request to the end of its answer, refused requests included.',
      labelNames: ['route', 'model', 'upstream'],
      buckets,
      registers,
    });
    this.#gaps = new GapHistogram(this.registry);
    this.#tokens = new Counter({
      name: 'sluice_tokens_total',
      help: 'Tokens by direction: input and output; cached is the part of input served from the provider cache, reasoning the part of output spent on hidden reasoning.',
      labelNames: ['model', 'direction', ...who],
      registers,
    });
    this.#cost = new Counter({
      name: 'sluice_cost_usd_total',
      help: 'Cost by the price table (USD).',
      labelNames: ['model', ...who],
      registers,
    });
    this.#failures = new Counter({
      name: 'sluice_upstream_failures_total',
      help: 'Tries of an upstream that failed as its breaker counts failures: by HTTP status (5xx, 429, 401, 403) or unreachable, timeout, broken.',
      labelNames: ['upstream', 'reason'],
      registers,
    });
    this.#failovers = new Counter({
      name: 'sluice_failovers_total',
      help: 'Failed tries followed by another try (another key or upstream), by the upstream that failed.',
      labelNames: ['upstream'],
      registers,
    });
    this.#held = new Counter({
      name: 'sluice_upstream_streams_held_total',
      help: 'Streamed answers that came from the upstream in a few large pieces (8+ events a read, 32+ events): something between Sluice and the upstream holds streams.',
      labelNames: ['upstream'],
      registers,
    });
    this.#refusals = new Counter({
      name: 'sluice_limit_refusals_total',
      help: 'Requests refused by a key or user limit: rate_limit_exceeded (rpm, tpm), too_many_streams, insufficient_quota (budget).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of LIMIT_CODES) this.#refusals.inc({ reason }, 0);
    this.#http = new Counter({
      name: 'sluice_http_requests_total',
      help: 'Every HTTP request answered, by route class (v1, api, admin, page, health, metrics, probe) and status code.',
      labelNames: ['route_class', 'code'],
      registers,
    });
  }

  /** The `Content-Type` of `render()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, with the gauges of `live`. */
  async render(live: LiveState): Promise<string> {
    this.#live = live;
    return await this.registry.metrics();
  }

  /**
   * The same, as values rather than text: what a worker sends its primary, which adds every
   * worker's together (`metrics-cluster.ts`).
   */
  async snapshot(live: LiveState): Promise<MetricsSnapshot> {
    this.#live = live;
    return (await this.registry.getMetricsAsJSON()) as unknown as MetricsSnapshot;
  }

  /** One HTTP request answered (any route). */
  countHttp(routeClass: string, status: number): void {
    this.#http.inc({ route_class: routeClass, code: String(status) });
  }

  finished({ record, attempts, errorCode, gaps, arrivedGathered }: RequestReport): void {
    const model = this.#models.value(record.model ?? '');
    const upstream = record.upstream ?? '';
    const route = routeLabel(record.endpoint);
    const who = this.#who(record);
    this.#requests.inc({
      route,
      model,
      upstream,
      status: record.status === null ? '' : String(record.status),
      end_reason: record.endReason,
      ...who,
    });
    const at = { model, upstream };
    if (record.clientTtftMs !== null) this.#ttft.observe(at, record.clientTtftMs / 1000);
    if (record.clientTtfbMs !== null) this.#ttfb.observe(at, record.clientTtfbMs / 1000);
    if (record.endedAt !== null)
      this.#duration.observe(
        { route, model, upstream },
        (record.endedAt - record.startedAt) / 1000,
      );
    if (gaps !== undefined) this.#gaps.add(model, upstream, gaps);
    this.#countTokens(record, model, who);
    if (record.cost !== null && record.cost > 0 && Number.isFinite(record.cost))
      this.#cost.inc({ model, ...who }, record.cost);
    for (const attempt of attempts) {
      const reason = failureReason(attempt.answer);
      if (reason !== undefined) this.#failures.inc({ upstream: attempt.upstream, reason });
      if (attempt.failedOver) this.#failovers.inc({ upstream: attempt.upstream });
    }
    if (errorCode !== undefined && LIMIT_CODE_SET.has(errorCode))
      this.#refusals.inc({ reason: errorCode });
    if (arrivedGathered === true) this.#held.inc({ upstream });
  }

  #countTokens(record: UsageRecord, model: string, who: Record<string, string>): void {
    for (const [direction, field] of TOKEN_DIRECTIONS) {
      const n = record[field];
      if (n > 0) this.#tokens.inc({ model, direction, ...who }, n);
    }
  }

  /** The `key` and `user` labels when asked for: the key's visible prefix, the username. */
  #who(record: UsageRecord): Record<string, string> {
    if (!this.#byKey && !this.#byUser) return NO_LABELS;
    const labels: Record<string, string> = {};
    if (this.#byKey) labels.key = record.keyPrefix ?? '';
    if (this.#byUser) labels.user = record.username ?? '';
    return labels;
  }
}

const NO_LABELS: Record<string, string> = Object.freeze({});
