/**
 * The spans of one finished request, planned from its report as plain values: a server span for
 * the request, a client span for each try of an upstream, with the times the record and the
 * tries carry. Pure, so what a trace says is tested without the OpenTelemetry SDK; `traces.ts`
 * hands the plan to the SDK.
 *
 * Attribute names follow the OpenTelemetry semantic conventions where one fits (HTTP:
 * `http.request.method`, `url.path`, `http.response.status_code`, `client.address`,
 * `error.type`; GenAI: `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`,
 * `gen_ai.response.model`, `gen_ai.usage.*`), `sluice.*` for what only Sluice knows.
 */
import type { AttemptReport, RequestReport } from '../gateway/index.ts';

export type AttributeValue = string | number | boolean;

export interface SpanPlan {
  readonly name: string;
  readonly kind: 'server' | 'client';
  /** Epoch ms (fractions kept). */
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly events: readonly { readonly name: string; readonly atMs: number }[];
  /** Set: the span's status is ERROR, with this description. */
  readonly error: string | undefined;
}

export interface TracePlan {
  readonly server: SpanPlan;
  /** One per try of an upstream, in order; children of the server span. */
  readonly clients: readonly SpanPlan[];
}

/** The inference endpoints, as GenAI operations and the API they speak (the client's side). */
const GEN_AI: Readonly<Record<string, { operation: string; provider: string }>> = {
  '/v1/chat/completions': { operation: 'chat', provider: 'openai' },
  '/v1/responses': { operation: 'chat', provider: 'openai' },
  '/v1/completions': { operation: 'text_completion', provider: 'openai' },
  '/v1/embeddings': { operation: 'embeddings', provider: 'openai' },
  '/v1/messages': { operation: 'chat', provider: 'anthropic' },
};

/** End reasons that are the server's failure, not the client's choice nor a success. */
const FAILED_ENDS: ReadonlySet<string> = new Set([
  'upstream_error',
  'timeout',
  'shutdown',
  'interrupted',
]);

/**
 * `method`: the request's HTTP method when known; without it the server span is named by its
 * route alone and has no `http.request.method`.
 */
export function planTrace(report: RequestReport, method: string | undefined): TracePlan {
  const { record, attempts, errorCode } = report;
  const route = routeTemplate(record.endpoint);
  const genAi = GEN_AI[record.endpoint];
  const requestedModel = record.requestedModel ?? record.model;
  const reached = record.upstream !== null;
  const startMs = record.startedAt;

  const attributes: Record<string, AttributeValue> = {
    'url.path': record.endpoint,
    'sluice.request_id': record.id,
    'sluice.end_reason': record.endReason,
    'sluice.events': record.events,
    'sluice.bytes': record.bytes,
  };
  if (method !== undefined) attributes['http.request.method'] = method;
  set(attributes, 'http.response.status_code', record.status);
  set(attributes, 'client.address', record.clientIp);
  set(attributes, 'error.type', errorCode);
  if (genAi !== undefined) {
    attributes['gen_ai.operation.name'] = genAi.operation;
    attributes['gen_ai.provider.name'] = genAi.provider;
  }
  set(attributes, 'gen_ai.request.model', requestedModel);
  if (reached) {
    set(attributes, 'gen_ai.response.model', record.model);
    attributes['gen_ai.usage.input_tokens'] = record.promptTokens;
    attributes['gen_ai.usage.output_tokens'] = record.completionTokens;
    if (record.cachedTokens > 0)
      attributes['gen_ai.usage.cache_read.input_tokens'] = record.cachedTokens;
    if (record.reasoningTokens > 0)
      attributes['gen_ai.usage.reasoning.output_tokens'] = record.reasoningTokens;
  }
  set(attributes, 'sluice.upstream', record.upstream);
  set(attributes, 'sluice.client_ttfb_ms', record.clientTtfbMs);
  set(attributes, 'sluice.client_ttft_ms', record.clientTtftMs);
  set(attributes, 'sluice.upstream_ttfb_ms', record.upstreamTtfbMs);
  set(attributes, 'sluice.max_gap_ms', record.maxGapMs);
  set(attributes, 'sluice.cost_usd', record.cost);
  set(attributes, 'sluice.usage_source', record.usageSource);
  set(attributes, 'sluice.key_prefix', record.keyPrefix);
  set(attributes, 'sluice.user', record.username);
  if (attempts.length > 0) attributes['sluice.attempts'] = attempts.length;

  const events: { name: string; atMs: number }[] = [];
  if (record.clientTtfbMs !== null)
    events.push({ name: 'first_byte', atMs: startMs + record.clientTtfbMs });
  if (record.clientTtftMs !== null)
    events.push({ name: 'first_token', atMs: startMs + record.clientTtftMs });
  // The record's times are whole epoch ms, the events' offsets fractions of one: a first token
  // in the last millisecond could fall after a span that ends at the rounded-down end.
  const endMs = Math.max(
    record.endedAt ?? startMs,
    ...attempts.map((a) => a.endedAt),
    ...events.map((e) => e.atMs),
    startMs,
  );

  // HTTP semantic conventions: a server span is an error for a 5xx, not for a 4xx (the
  // client's mistake); a stream that broke after its 200 is one too.
  const failed =
    (record.status !== null && record.status >= 500) || FAILED_ENDS.has(record.endReason);
  const server: SpanPlan = {
    name: method === undefined ? route : `${method} ${route}`,
    kind: 'server',
    startMs,
    endMs,
    attributes,
    events,
    error: failed ? (errorCode ?? record.endReason) : undefined,
  };
  const clients = attempts.map((attempt) =>
    planAttempt(
      attempt,
      genAi?.operation,
      attempt.upstream === record.upstream ? record.model : requestedModel,
    ),
  );
  return { server, clients };
}

function planAttempt(
  attempt: AttemptReport,
  operation: string | undefined,
  model: string | null,
): SpanPlan {
  const { answer } = attempt;
  const attributes: Record<string, AttributeValue> = {
    'sluice.upstream': attempt.upstream,
    'sluice.upstream_key': attempt.key,
    'sluice.answer': String(answer),
    'sluice.failed_over': attempt.failedOver,
  };
  if (typeof answer === 'number') attributes['http.response.status_code'] = answer;
  if (operation !== undefined) attributes['gen_ai.operation.name'] = operation;
  set(attributes, 'gen_ai.request.model', model);
  // HTTP semantic conventions: a client span is an error for a 4xx as well as a 5xx.
  const failed = typeof answer === 'number' ? answer >= 400 : answer !== 'cancelled';
  if (failed) attributes['error.type'] = String(answer);
  set(attributes, 'sluice.error', attempt.error);
  return {
    // GenAI semantic conventions name a model call `{operation} {model}`.
    name:
      operation !== undefined && model !== null
        ? `${operation} ${model}`
        : `upstream ${attempt.upstream}`,
    kind: 'client',
    startMs: attempt.startedAt,
    endMs: Math.max(attempt.endedAt, attempt.startedAt),
    attributes,
    events: [],
    error: failed ? (attempt.error ?? String(answer)) : undefined,
  };
}

/**
 * The path with its object ids (`file-abc`, `gpt-4o`, anything but lower-case words) as `{id}`,
 * so span names stay few: `/v1/files/file-abc/content` → `/v1/files/{id}/content`.
 */
export function routeTemplate(path: string): string {
  const segments = path.split('/');
  // ['', 'v1', ...]: the version segment is kept as it is.
  return segments.map((s, i) => (i < 2 || /^[a-z_]*$/.test(s) ? s : '{id}')).join('/');
}

function set(
  attributes: Record<string, AttributeValue>,
  name: string,
  value: AttributeValue | null | undefined,
): void {
  if (value !== null && value !== undefined) attributes[name] = value;
}
