/**
 * Every request leaves one usage record (invariant 9). The meter admits a request against its
 * key's and user's limits, writes its record as `incomplete` before the upstream is called,
 * and finalises it when the request ends — with the upstream's token counts, or an estimate
 * marked as one — then charges the tokens to the limits.
 */
import { type Principal, userOf } from '../accounts/index.ts';
import type { PriceTable } from '../config/index.ts';
import { type TokenUsage, withSearches } from '../dialects/index.ts';
import {
  BudgetHeldError,
  CountersUnavailableError,
  InsufficientQuotaError,
  RateLimitExceededError,
  SluiceError,
  TooManyStreamsError,
  UsageBacklogError,
} from '../errors/index.ts';
import { parseJsonObject } from '../http/index.ts';
import type { EndReason, UpstreamTry, UsageRecord } from '../store/types.ts';
import {
  type Counters,
  type Lease,
  NO_RESERVE,
  type Refusal,
  type RefusalCode,
  refusalMessage,
  type Subject,
} from './limits/index.ts';
import { askedFor } from './asked.ts';
import { costOf, hasPrice, pricesSearches } from './prices.ts';
import { reserveOf } from './reserve.ts';
import { countTokens, estimatePromptTokens } from './tokens.ts';
import type { UsageQueue } from './usage-queue.ts';

/** What is known of a request before it is relayed. */
export interface RequestInfo {
  readonly id: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly principal: Principal | undefined;
  readonly clientIp: string | null;
  readonly endpoint: string;
  readonly model: string | undefined;
  /** The process serving it (see `store/liveness.ts`). */
  readonly instance: string;
}

/** How the relay went, as far as the books are concerned. */
export interface RelayOutcome {
  readonly upstream: string | undefined;
  /** The upstream's name for the model, when it differs from the one asked for (an alias). */
  readonly model: string | undefined;
  readonly status: number;
  readonly endReason: EndReason;
  readonly upstreamTtfbMs: number | undefined;
  readonly clientTtfbMs: number | undefined;
  readonly clientTtftMs: number | undefined;
  readonly events: number;
  readonly bytes: number;
  readonly maxGapMs: number;
  /** What the upstream reported, and whether its final report arrived. */
  readonly usage: TokenUsage | undefined;
  /** Web searches the request ran by asking, which no answer reports (a search model's). */
  readonly searchesAsked?: number;
  readonly usageComplete: boolean;
  /**
   * Generated text as captured from the stream, for estimates: put together only when one is
   * needed, not at the end of every request.
   */
  readonly generatedText: () => string;
  /** The JSON request body sent upstream, for prompt estimates (parsed only when needed). */
  readonly requestBody: Buffer | undefined;
  /** The whole JSON answer, when there was one (an image model's, to count what it made). */
  readonly answer?: () => unknown;
  /** Every upstream tried, in order. */
  readonly tries: readonly UpstreamTry[];
}

/** What a request asks for, read for the reserve it holds against a budget (`reserve.ts`). */
export interface Asking {
  /** The JSON request body, as received (parsed again only for a caller with a budget). */
  readonly body: Buffer | undefined;
  /** The names the model may be charged under: the one asked for, its upstreams' names. */
  readonly models: () => readonly string[];
}

export interface MeterOptions {
  readonly queue: UsageQueue;
  readonly counters: Counters;
  /** The price table now (a reload may replace it). */
  readonly prices: () => PriceTable;
  readonly now?: () => number;
}

export class Meter {
  readonly #o: MeterOptions;
  readonly #now: () => number;

  constructor(options: MeterOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Whether a request to `endpoint` for `model` can be charged in money: the model has a price,
   * or the endpoint costs nothing (a token count).
   */
  priced(endpoint: string, model: string): boolean {
    return COUNTING.has(endpoint) || hasPrice(this.#o.prices(), model);
  }

  /** Whether the web searches of `model` have a price (`Price.searches`). */
  pricesSearches(model: string): boolean {
    return pricesSearches(this.#o.prices(), model);
  }

  /** A request refused before it reached an upstream still leaves its record. */
  rejected(
    info: RequestInfo,
    status: number,
    endReason: 'rejected' | 'client_cancelled' = 'rejected',
  ): UsageRecord {
    const record: UsageRecord = { ...openRecord(info), endedAt: this.#now(), status, endReason };
    this.#o.queue.put(record);
    return record;
  }

  /**
   * Checks the limits of the caller's key and user and opens the record. Throws a 429 when a
   * limit refuses, a 503 when records could not be kept. A caller with a budget holds what
   * `asking` may cost against it until the request ends.
   */
  async admit(info: RequestInfo, asking: Asking): Promise<MeterTicket> {
    if (!this.#o.queue.accepting) throw new UsageBacklogError();
    const subjects = subjectsOf(info.principal);
    let lease: Lease | undefined;
    if (subjects.length > 0) {
      const reserve = subjects.some(hasBudget)
        ? reserveOf(info.endpoint, jsonObjectOf(asking.body), asking.models(), this.#o.prices())
        : NO_RESERVE;
      const admission = await this.#o.counters
        .admit(subjects, info.id, info.startedAt, reserve)
        .catch((error: unknown) => {
          throw error instanceof SluiceError
            ? error
            : new CountersUnavailableError('The limit counters failed.', { cause: error });
        });
      if (!admission.ok) throw refusalError(admission.refusal, info.principal, info.startedAt);
      lease = admission.lease;
    }
    const record = openRecord(info);
    this.#o.queue.put(record);
    if (info.principal?.kind === 'key')
      this.#o.queue.touchKey(info.principal.key.id, info.startedAt);
    return new MeterTicket(record, lease, this.#o, this.#now);
  }
}

export class MeterTicket {
  readonly #record: UsageRecord;
  readonly #lease: Lease | undefined;
  readonly #o: MeterOptions;
  readonly #now: () => number;

  constructor(
    record: UsageRecord,
    lease: Lease | undefined,
    options: MeterOptions,
    now: () => number,
  ) {
    this.#record = record;
    this.#lease = lease;
    this.#o = options;
    this.#now = now;
  }

  /**
   * Finalises the record: journaled and queued for the store when this resolves, so the
   * response may complete. Then `release` charges it to the limits.
   */
  async record(outcome: RelayOutcome): Promise<UsageRecord> {
    const { usage: counted, source } = await tokensOf(outcome, this.#record.endpoint);
    const usage =
      counted === undefined
        ? undefined
        : withSearches(counted, Math.max(counted.searches ?? 0, outcome.searchesAsked ?? 0));
    const model = outcome.model ?? this.#record.model;
    const cost = usage === undefined ? null : costOf(this.#o.prices(), model, usage);
    const record: UsageRecord = {
      ...this.#record,
      model,
      requestedModel: model === this.#record.model ? null : this.#record.model,
      endedAt: this.#now(),
      upstream: outcome.upstream ?? null,
      status: outcome.status,
      upstreamTtfbMs: round(outcome.upstreamTtfbMs),
      clientTtfbMs: round(outcome.clientTtfbMs),
      clientTtftMs: round(outcome.clientTtftMs),
      tries: outcome.tries.length === 0 ? null : outcome.tries,
      events: outcome.events,
      bytes: outcome.bytes,
      maxGapMs: round(outcome.maxGapMs),
      promptTokens: usage?.promptTokens ?? 0,
      completionTokens: usage?.completionTokens ?? 0,
      cachedTokens: usage?.cachedTokens ?? 0,
      reasoningTokens: usage?.reasoningTokens ?? 0,
      searches: usage?.searches ?? 0,
      cost,
      endReason: outcome.endReason,
      usageSource: source,
    };
    this.#o.queue.put(record);
    return record;
  }

  /** Charges the finished request's tokens and cost to its key's and user's limits. */
  async release(record: UsageRecord): Promise<void> {
    await this.#lease?.end({
      tokens: record.promptTokens + record.completionTokens,
      cost: record.cost,
    });
  }
}

/** Asking how many tokens a prompt holds uses none (Anthropic's count is free, OpenAI's too). */
const COUNTING: ReadonlySet<string> = new Set([
  '/v1/messages/count_tokens',
  '/v1/responses/input_tokens',
]);

/**
 * None for a count (`COUNTING`). The upstream's counts when its final report came; otherwise an estimate — the prompt from the
 * request (or the upstream's early report of it), the completion from the text that was
 * generated before the stream ended, whatever ended it.
 */
async function tokensOf(
  outcome: RelayOutcome,
  endpoint: string,
): Promise<{ usage: TokenUsage | undefined; source: UsageRecord['usageSource'] }> {
  if (COUNTING.has(endpoint)) return { usage: undefined, source: null };
  if (outcome.usage !== undefined && outcome.usageComplete)
    return { usage: outcome.usage, source: 'upstream' };
  if (outcome.upstream === undefined || outcome.status >= 400)
    return { usage: undefined, source: null };
  const reported = outcome.usage;
  const completion = await countTokens(outcome.generatedText());
  const body = jsonObjectOf(outcome.requestBody);
  const prompt =
    reported !== undefined && reported.promptTokens > 0
      ? reported.promptTokens
      : await estimatePromptTokens(body);
  return {
    usage: {
      promptTokens: prompt,
      completionTokens: Math.max(completion, reported?.completionTokens ?? 0),
      cachedTokens: reported?.cachedTokens ?? 0,
      reasoningTokens: reported?.reasoningTokens ?? 0,
      ...(reported?.cacheWrites === undefined ? {} : { cacheWrites: reported.cacheWrites }),
      ...(reported?.searches === undefined ? {} : { searches: reported.searches }),
      ...(reported?.priority === true ? { priority: true as const } : {}),
      ...askedFor(endpoint, body, outcome.answer?.()),
    },
    source: 'estimate',
  };
}

/** The body as sent upstream, parsed again for an estimate (parseRequest checked it once). */
function jsonObjectOf(body: Buffer | undefined): Record<string, unknown> | undefined {
  if (body === undefined) return undefined;
  try {
    return parseJsonObject(body);
  } catch {
    return undefined;
  }
}

function openRecord(info: RequestInfo): UsageRecord {
  const principal = info.principal;
  return {
    id: info.id,
    startedAt: info.startedAt,
    endedAt: null,
    userId: userOf(principal)?.id ?? null,
    username: userOf(principal)?.username ?? null,
    keyId: principal?.kind === 'key' ? principal.key.id : null,
    keyPrefix: principal?.keyPrefix ?? null,
    clientIp: info.clientIp,
    model: info.model ?? null,
    upstream: null,
    endpoint: info.endpoint,
    status: null,
    upstreamTtfbMs: null,
    clientTtfbMs: null,
    events: 0,
    bytes: 0,
    maxGapMs: null,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    searches: 0,
    cost: null,
    endReason: 'incomplete',
    usageSource: null,
    instanceId: info.instance,
    requestedModel: null,
    clientTtftMs: null,
    tries: null,
  };
}

function hasBudget({ limits }: Subject): boolean {
  return limits.budgetTokens !== null || limits.budgetCost !== null;
}

function subjectsOf(principal: Principal | undefined): Subject[] {
  const subjects: Subject[] = [];
  if (principal?.kind === 'key')
    subjects.push({ kind: 'key', id: principal.key.id, limits: principal.key.limits });
  const user = userOf(principal);
  if (user !== undefined) subjects.push({ kind: 'user', id: user.id, limits: user.limits });
  return subjects;
}

/** The 429 for a refusal, naming the key by its prefix and the user by name. */
function refusalError(
  refusal: Refusal,
  principal: Principal | undefined,
  now: number,
): SluiceError {
  const user = userOf(principal);
  const who =
    refusal.subject.kind === 'key'
      ? `key ${principal?.keyPrefix ?? ''}…`
      : user === undefined
        ? 'this key'
        : `user "${user.username}"`;
  const { code, message } = refusalMessage(refusal, who, now);
  return new REFUSAL_ERRORS[code](message, refusal.retryAfterSeconds);
}

const REFUSAL_ERRORS = {
  rate_limit_exceeded: RateLimitExceededError,
  too_many_streams: TooManyStreamsError,
  insufficient_quota: InsufficientQuotaError,
  budget_held: BudgetHeldError,
} satisfies Record<RefusalCode, unknown>;

function round(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.round(ms * 10) / 10;
}
