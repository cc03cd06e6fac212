/**
 * The `/v1` path, end to end: a path with one meaning, who is calling, which route and model
 * they may use, which objects they may name, whether their limits allow it, the relay, and the
 * usage record — one per request, refusals included, journaled before the response completes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  type Authenticator,
  credentialOf,
  isAdmin,
  isInternalCredential,
  type Principal,
} from '../accounts/index.ts';
import type { Config } from '../config/index.ts';
import {
  ModelNotFoundError,
  NoUpstreamError,
  ShuttingDownError,
  SluiceError,
} from '../errors/index.ts';
import {
  checkPath,
  checkRequestTarget,
  sendError,
  sendJson,
  toSluiceError,
} from '../http/index.ts';
import type { Logger } from '../log/index.ts';
import type { Meter, MeterTicket, RequestInfo } from '../metering/index.ts';
import type { UsageRecord } from '../store/types.ts';
import {
  type Attempt,
  candidatesFor,
  choiceIgnoresModel,
  type Upstream,
  upstreamModel,
} from '../upstream/index.ts';
import { authorizeModel, authorizeRoute } from './access.ts';
import { ClientStream, type EndReason } from './client-stream.ts';
import { listModels, mergesModels } from './models.ts';
import { ObjectAccess, type ObjectStore } from './objects.ts';
import { relay } from './relay.ts';
import { type ParsedRequest, parseRequest } from './request.ts';
import { type RouteInfo, routeOf } from './routes.ts';
import {
  responsesViaChat,
  type Translation,
  translatableTo,
  translationFor,
} from './translation.ts';
import type { AttemptReport, GatewayObserver } from './observer.ts';
import { Stop } from './stop.ts';
import { capturedText } from './tap.ts';
import { type TraceHop, traceHopOf } from './trace-hop.ts';

export interface GatewayOptions {
  /** This process, in request ids and records (`store/liveness.ts`). */
  readonly instance: string;
  readonly config: Pick<Config, 'timeouts' | 'keepaliveMs' | 'maxBodyBytes'>;
  /** The upstreams now (a reload replaces them; requests in flight keep theirs). */
  readonly upstreams: () => readonly Upstream[];
  readonly authenticator: Authenticator;
  readonly meter: Meter;
  /** Told of every request once it has ended (metrics, traces). */
  readonly observer?: GatewayObserver | undefined;
  /** Traces are on: each request takes its place in its client's trace (`trace-hop.ts`). */
  readonly joinsTraces?: boolean;
  /** Who owns which provider objects (files, batches, stored responses, …). */
  readonly objects: ObjectStore;
  readonly log: Logger;
  /** True from SIGTERM on: new requests are refused (and recorded). */
  readonly draining: () => boolean;
  /** Aborted when the drain deadline passes: open streams end with an in-band error. */
  readonly shutdown: AbortSignal;
}

/** Live state of the streams in flight, for `/metrics`. */
export interface StreamStats {
  readonly open: number;
  readonly paused: number;
  readonly bufferedBytes: number;
}

export class Gateway {
  readonly #o: GatewayOptions;
  readonly #objects: ObjectAccess;
  readonly #open = new Set<ClientStream>();
  /** Requests between arrival and their final record. */
  #handling = 0;
  #idle: (() => void)[] = [];

  /** The relays in flight, so shutdown can end them. */
  readonly #stops = new Set<Stop>();

  constructor(options: GatewayOptions) {
    this.#o = options;
    this.#objects = new ObjectAccess(options.objects, options.log);
    options.shutdown.addEventListener('abort', () => {
      for (const stop of this.#stops) stop.stop(new ShuttingDownError());
    });
  }

  get stats(): StreamStats {
    let paused = 0;
    let bufferedBytes = 0;
    for (const client of this.#open) {
      if (client.paused) paused++;
      bufferedBytes += client.buffered;
    }
    return { open: this.#open.size, paused, bufferedBytes };
  }

  /** Resolves once every request that arrived so far has its final record queued. */
  whenIdle(): Promise<void> {
    if (this.#handling === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Serves one `/v1` request and resolves with its usage record. What is refused before the
   * relay starts (bad key, bad body, a limit) is recorded and handed back, unanswered, for the
   * server's one error path to answer (`refused`).
   */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    clientIp: string | null,
  ): Promise<Handled> {
    this.#handling++;
    try {
      return await this.#handle(req, res, path, clientIp);
    } finally {
      if (--this.#handling === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    clientIp: string | null,
  ): Promise<Handled> {
    const started = performance.now();
    const id = nextRequestId(this.#o.instance);
    res.setHeader('x-sluice-request-id', id);
    const hop = traceHopOf(req.headers, this.#o.joinsTraces === true);
    const pathname = path.split('?')[0] ?? path;
    const method = req.method ?? 'GET';
    let info: RequestInfo = {
      id,
      startedAt: Date.now(),
      principal: undefined,
      clientIp,
      endpoint: pathname,
      model: undefined,
      instance: this.#o.instance,
    };
    let admitted;
    try {
      if (this.#o.draining()) throw new ShuttingDownError();
      checkRequestTarget(req.url ?? pathname);
      checkPath(pathname);
      const credential = credentialOf(req.headers);
      const principal = await this.#o.authenticator.authenticate(credential);
      info = { ...info, principal, clientIp: forwardedIp(req, credential) ?? clientIp };
      const route = routeOf(method, pathname);
      authorizeRoute(principal, route, pathname);
      const parsed = await parseRequest(req, path, route, {
        maxBodyBytes: this.#o.config.maxBodyBytes,
        checkReferences: !isAdmin(principal),
        rename: (model) => aliasTarget(this.#o.upstreams(), model),
        checkModel: (model) => {
          authorizeModel(principal, model, route);
        },
        sendBeforeModel: choiceIgnoresModel(this.#o.upstreams(), 'openai'),
      });
      info = { ...info, model: parsed.model };
      // A form's model is checked by its reader, when it comes (`multipart.ts`).
      if (!isForm(route)) authorizeModel(principal, parsed.model, route);
      const holder = await this.#objects.check(principal, parsed);
      const upstreams = this.#o.upstreams();
      const modelRoute = parsed.endpoint.dialect.name !== 'openai';
      let candidates = pinned(
        candidatesFor(upstreams, parsed.endpoint.family, parsed.model, modelRoute),
        holder,
      );
      // No upstream of the client's family serves the model: one of the other family may, by
      // translation (Chat Completions or Responses ⇄ Messages).
      let translation: Translation | undefined;
      const other = translatableTo(parsed);
      if (parsed.route.kind === 'models' && parsed.pathname === '/v1/models') {
        // The model list names what this family's clients can use, the other family's models
        // (by translation) included.
        const otherFamily = parsed.endpoint.family === 'openai' ? 'anthropic' : 'openai';
        candidates = [
          ...candidates,
          ...upstreams.filter((u) => u.family === otherFamily && !u.demo),
        ];
      }
      if (parsed.pathname === '/v1/responses' && method === 'POST') {
        // Upstreams with the Responses API first; only when none serves the model, those
        // without it, by translation (never a mix: one request, one translation).
        const native = candidates.filter((u) => u.servesResponses);
        if (native.length === 0 && candidates.length > 0) translation = responsesViaChat(parsed);
        if (translation === undefined) candidates = native;
      }
      if (candidates.length === 0 && other !== undefined && method === 'POST') {
        const across = candidatesFor(upstreams, other, parsed.model, true);
        translation = across.length > 0 ? translationFor(parsed) : undefined;
        if (translation !== undefined) candidates = across;
      }
      if (candidates.length === 0) throw noUpstream(parsed, upstreams);
      admitted = {
        parsed,
        candidates,
        principal,
        translation,
        ticket: await this.#o.meter.admit(info),
      };
    } catch (error) {
      const record = this.#o.meter.rejected(
        info,
        error instanceof SluiceError ? error.status : 500,
      );
      this.#o.observer?.finished({
        record,
        attempts: [],
        errorCode: error instanceof SluiceError ? error.code : 'internal_error',
        gaps: undefined,
        trace: hop.trace,
      });
      return { record, refused: error };
    }

    const { parsed, candidates, principal, ticket, translation } = admitted;
    if (
      method === 'GET' &&
      parsed.pathname === '/v1/models' &&
      mergesModels(candidates, principal)
    ) {
      return {
        record: await this.#mergedModels(
          res,
          id,
          hop,
          started,
          parsed,
          candidates,
          principal,
          ticket,
        ),
        refused: undefined,
      };
    }
    const { timeouts, keepaliveMs } = this.#o.config;
    const client = new ClientStream(
      res,
      parsed.endpoint.dialect,
      keepaliveMs,
      parsed.hideUsage,
      translation,
    );
    const filtersList = this.#objects.filtersList(principal, parsed, method);
    // A whole answer of the other family is translated once it is in.
    if (filtersList || (translation !== undefined && !parsed.stream)) client.holdAnswer();
    // A translated answer is stored by no provider: no id to watch for, no object to record.
    if (parsed.stores && translation === undefined) client.tap.watchId();
    this.#open.add(client);
    const stop = new Stop();
    this.#stops.add(stop);
    let tried: Attempt | undefined;
    const attempts: AttemptReport[] = [];
    try {
      tried = await relay({
        attempts,
        req,
        res,
        path: translation?.path ?? path,
        parsed:
          translation === undefined
            ? parsed
            : { ...parsed, body: translation.body, contentType: 'application/json' },
        translated: translation !== undefined,
        candidates,
        client,
        timeouts,
        stop,
        log: this.#o.log,
        requestId: id,
        trace: hop,
      });
    } finally {
      this.#open.delete(client);
      this.#stops.delete(stop);
    }
    const upstream = tried?.upstream;
    const since = (at: number | undefined) => (at === undefined ? undefined : at - started);
    const { tap, error } = client;
    // The upstream's own words, for the operator: a client may have been told less.
    if (error !== undefined && error.status >= 500)
      this.#o.log.error('upstream failed', { request_id: id, upstream: upstream?.name, error });
    const record = await ticket.record({
      upstream: upstream?.name,
      model:
        upstream === undefined || parsed.model === undefined
          ? undefined
          : upstreamModel(upstream, parsed.model),
      status: client.status,
      endReason: client.endReason ?? 'done',
      upstreamTtfbMs: since(client.firstUpstreamByteAt),
      clientTtfbMs: since(client.firstByteAt),
      clientTtftMs: since(client.firstTokenAt),
      events: tap.events,
      bytes: client.bytes,
      maxGapMs: client.maxGapMs,
      usage: tap.usage,
      usageComplete: tap.sawTerminal && tap.usage !== undefined,
      generatedText: () => capturedText(tap.rawText),
      requestBody: Buffer.isBuffer(parsed.body) ? parsed.body : undefined,
      tries: attempts.map((a) => ({ upstream: a.upstream, answer: String(a.answer) })),
    });
    if (client.endReason === 'done' && client.status < 300 && translation === undefined)
      await this.#objects.record(principal, parsed, method, tap, upstream?.name);
    const held = client.held;
    if (held !== undefined && translation !== undefined) {
      client.answer(held.status, held.headers, translatedAnswer(translation, held.body));
    } else if (held !== undefined && parsed.route.kind === 'scoped') {
      const body = await this.#objects
        .filter(principal, parsed.route.scope, held.body)
        .catch((error: unknown) => {
          this.#o.log.error('could not filter a list to the caller’s objects', {
            request_id: id,
            error,
          });
          return Buffer.from('{"object":"list","data":[]}');
        });
      client.answer(held.status, held.headers, body);
    } else client.complete();
    this.#o.observer?.finished({
      record,
      attempts,
      errorCode: client.error?.code,
      gaps: client.gaps,
      trace: hop.trace,
    });
    await ticket.release(record);
    return { record, refused: undefined };
  }

  /** `GET /v1/models` put together from every upstream, as the caller may see it (models.ts). */
  async #mergedModels(
    res: ServerResponse,
    id: string,
    hop: TraceHop,
    started: number,
    parsed: ParsedRequest,
    candidates: readonly Upstream[],
    principal: Principal,
    ticket: MeterTicket,
  ): Promise<UsageRecord> {
    let endReason: EndReason = 'done';
    let answer: { list: unknown } | { failure: SluiceError };
    try {
      const { list, failed } = await listModels(
        candidates,
        principal,
        this.#o.config.timeouts,
        parsed.endpoint.family,
        hop.headers,
      );
      for (const { upstream, error } of failed)
        this.#o.log.warn('upstream did not list its models', { request_id: id, upstream, error });
      answer = { list };
    } catch (error) {
      const failure = toSluiceError(error);
      endReason = failure.kind === 'timeout' ? 'timeout' : 'upstream_error';
      answer = { failure };
    }
    const body = 'list' in answer ? JSON.stringify(answer.list) : '';
    const record = await ticket.record({
      upstream: candidates.map((u) => u.name).join(','),
      model: undefined,
      status: 'list' in answer ? 200 : answer.failure.status,
      endReason,
      upstreamTtfbMs: undefined,
      clientTtfbMs: performance.now() - started,
      clientTtftMs: undefined,
      // Every upstream is asked at once; their answers are in the log.
      tries: [],
      events: 0,
      bytes: Buffer.byteLength(body),
      maxGapMs: 0,
      usage: undefined,
      usageComplete: false,
      generatedText: () => '',
      requestBody: undefined,
    });
    if ('list' in answer) sendJson(res, 200, answer.list);
    else sendError(res, answer.failure, parsed.endpoint.dialect);
    this.#o.observer?.finished({
      record,
      attempts: [],
      errorCode: 'list' in answer ? undefined : answer.failure.code,
      gaps: undefined,
      trace: hop.trace,
    });
    await ticket.release(record);
    return record;
  }
}

/** A served request's record; `refused`: what stopped it before the relay, not yet answered. */
export interface Handled {
  readonly record: UsageRecord;
  readonly refused: unknown;
}

let sequence = 0;

/** Unique across instances (the instance's id) and cheap per request (a counter). */
function nextRequestId(instance: string): string {
  sequence++;
  return `req_${instance}${sequence.toString(36).padStart(6, '0')}`;
}

/**
 * The chat service calls this gateway for the browser's user; its requests (and only those:
 * they carry the process's internal credential) say which address the browser has.
 */
function forwardedIp(req: IncomingMessage, credential: string | undefined): string | undefined {
  const header = req.headers['x-sluice-client-ip'];
  return isInternalCredential(credential) && typeof header === 'string' ? header : undefined;
}

/** A whole answer of the other family in the client's shape. */
function translatedAnswer(translation: Translation, body: Buffer): Buffer {
  return Buffer.from(JSON.stringify(translation.answer(JSON.parse(body.toString('utf8')))));
}

/** What the first upstream (by priority) with an alias `model` calls it; `model` if none has. */
function aliasTarget(upstreams: readonly Upstream[], model: string): string {
  const holder = [...upstreams]
    .sort((a, b) => a.priority - b.priority)
    .find((u) => Object.hasOwn(u.aliases, model));
  return holder === undefined ? model : upstreamModel(holder, model);
}

function isForm(route: RouteInfo): boolean {
  return route.kind === 'inference' && route.body === 'multipart';
}

/** Requests that name an object go to the upstream that holds it, when Sluice knows which. */
function pinned(candidates: Upstream[], holder: string | undefined): Upstream[] {
  if (holder === undefined) return candidates;
  const holding = candidates.filter((u) => u.name === holder);
  return holding.length > 0 ? holding : candidates;
}

function noUpstream(parsed: ParsedRequest, upstreams: readonly Upstream[]): SluiceError {
  const { family } = parsed.endpoint;
  const ofFamily = upstreams.filter((u) => u.family === family);
  if (ofFamily.length === 0) {
    return new NoUpstreamError(
      family === 'anthropic'
        ? 'No Anthropic upstream is configured: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a relay).'
        : 'No OpenAI upstream is configured: set OPENAI_API_KEY or BASE_URL.',
    );
  }
  const model = parsed.model ?? '';
  const hint =
    family === 'anthropic'
      ? 'Set ANTHROPIC_API_KEY to use real models.'
      : 'Set OPENAI_API_KEY or BASE_URL to use real models.';
  return new ModelNotFoundError(
    ofFamily.every((u) => u.demo)
      ? `The model \`${model}\` does not exist here: no upstream is configured, only the built-in demo model \`sluice-demo\`. ${hint}`
      : `The model \`${model}\` is not served by any configured upstream.`,
  );
}
