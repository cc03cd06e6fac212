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
  userOf,
} from '../accounts/index.ts';
import type { Config } from '../config/index.ts';
import { ClientClosedError, ShuttingDownError, SluiceError } from '../errors/index.ts';
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
  choiceIgnoresModel,
  type Upstream,
  upstreamModel,
} from '../upstream/index.ts';
import {
  authorizeModel,
  authorizeModelPage,
  authorizeRoute,
  requireMetered,
  requireMeteredRoute,
  requirePrice,
  requirePricedTools,
} from './access.ts';
import { withoutAccountIds, withoutModelOwners } from './account-ids.ts';
import { chooseUpstreams } from './choice.ts';
import { ClientStream, type EndReason } from './client-stream.ts';
import { arrivedGathered, HeldUpstreamWarnings } from './held-upstream.ts';
import { asksForUpstreamReport } from './upstream-report.ts';
import { ESTIMATED } from './local-count.ts';
import { listModels, mergesModels } from './models.ts';
import { ObjectAccess, type ObjectStore } from './objects.ts';
import { relay } from './relay.ts';
import { type ParsedRequest, parseRequest, searchesAsked } from './request.ts';
import { type RouteInfo, routeOf } from './routes.ts';
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
  readonly #heldWarnings: HeldUpstreamWarnings;
  /** Requests between arrival and their final record. */
  #handling = 0;
  #idle: (() => void)[] = [];

  /** The relays in flight, so shutdown can end them. */
  readonly #stops = new Set<Stop>();

  constructor(options: GatewayOptions) {
    this.#o = options;
    this.#objects = new ObjectAccess(options.objects, options.log);
    this.#heldWarnings = new HeldUpstreamWarnings(options.log);
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
      authorizeModelPage(principal, route, pathname);
      requireMeteredRoute(principal, route, method, pathname);
      const priced = (model: string) => this.#o.meter.priced(pathname, model);
      const parsed = await parseRequest(req, path, route, {
        maxBodyBytes: this.#o.config.maxBodyBytes,
        checkReferences: !isAdmin(principal),
        rename: (model) => aliasTarget(this.#o.upstreams(), model),
        checkModel: (model) => {
          authorizeModel(principal, model, route);
          if (model !== undefined) requirePrice(principal, () => [model], priced);
        },
        sendBeforeModel: choiceIgnoresModel(this.#o.upstreams(), 'openai'),
      });
      info = { ...info, model: parsed.model };
      // A form's model is checked by its reader, when it comes (`multipart.ts`).
      if (!isForm(parsed.route)) authorizeModel(principal, parsed.model, route);
      requireMetered(principal, parsed.detached);
      requirePricedTools(
        principal,
        parsed.feeTools,
        () => parsed.model !== undefined && this.#o.meter.pricesSearches(parsed.model),
      );
      const holder = await this.#objects.check(principal, parsed);
      const choice = chooseUpstreams(parsed, method, this.#o.upstreams(), holder);
      const { model } = parsed;
      const models = (): readonly string[] =>
        model === undefined
          ? []
          : 'candidates' in choice
            ? [model, ...choice.candidates.map((upstream) => upstreamModel(upstream, model))]
            : [model];
      // Charged under the name its upstream knows it by: each must have a price.
      if (
        route.kind === 'inference' &&
        !isForm(parsed.route) &&
        model !== undefined &&
        'candidates' in choice
      )
        requirePrice(principal, models, priced);
      const body = parsed.body instanceof Buffer ? parsed.body : undefined;
      const ticket = await this.#o.meter.admit(info, { body, models });
      admitted = { parsed, choice, principal, ticket };
    } catch (error) {
      const record = this.#o.meter.rejected(
        info,
        error instanceof SluiceError ? error.status : 500,
        error instanceof ClientClosedError ? 'client_cancelled' : 'rejected',
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

    const { parsed, choice, principal, ticket } = admitted;
    const here = { res, hop, started, parsed, ticket };
    if (choice.count !== undefined) {
      const { count } = choice;
      const about = { upstream: undefined, model: parsed.model };
      const record = await this.#answerHere(here, about, async () => ({
        json: await count.answer(),
        headers: ESTIMATED,
      }));
      return { record, refused: undefined };
    }
    const { candidates, translation } = choice;
    if (
      method === 'GET' &&
      parsed.pathname === '/v1/models' &&
      mergesModels(candidates, principal)
    ) {
      // Every upstream is asked at once; their answers are in the log.
      const names = candidates.map((u) => u.name).join(',');
      const about = { upstream: names, model: undefined };
      const record = await this.#answerHere(here, about, async () => {
        const { list, failed } = await listModels(
          candidates,
          principal,
          this.#o.config.timeouts,
          parsed.endpoint.family,
          hop.headers,
        );
        for (const { upstream, error } of failed)
          this.#o.log.warn('upstream did not list its models', { request_id: id, upstream, error });
        return { json: list };
      });
      return { record, refused: undefined };
    }
    const { timeouts, keepaliveMs } = this.#o.config;
    const client = new ClientStream(
      res,
      parsed.endpoint.dialect,
      keepaliveMs,
      parsed.hideUsage,
      translation,
    );
    if (asksForUpstreamReport(req.headers)) client.reportUpstream(isAdmin(principal));
    const filtersList = this.#objects.filtersList(principal, parsed, method);
    // A whole answer of the other family is translated once it is in.
    // (A count is a whole answer whatever `stream` its body says.)
    // A model list may name the account's own models' owner, a fine-tuning job its organization
    // (`organization_id`) or a checkpoint's permission its project (`account-ids.ts`).
    const listsModels = parsed.route.kind === 'models' && method === 'GET';
    const namesAccount = parsed.route.kind === 'scoped' && parsed.route.scope === 'fine_tuning';
    if (
      filtersList ||
      listsModels ||
      namesAccount ||
      (translation !== undefined && translation.stream === undefined)
    )
      client.holdAnswer();
    // A translated answer is stored by no provider: no id to watch for, no object to record.
    if (translation === undefined) this.#objects.watch(parsed, client.tap);
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
            : {
                ...parsed,
                body: translation.body,
                contentType: 'application/json',
                stream: translation.stream !== undefined,
              },
        translated: translation !== undefined,
        candidates,
        client,
        timeouts,
        stop,
        log: this.#o.log,
        requestId: id,
        trace: hop,
        // The bootstrap key has no user: its requests are one caller.
        caller: userOf(principal)?.id ?? 'admin',
      });
    } catch (error) {
      // A failure of Sluice's own: the client hears of it, and the record below still ends
      // the request and releases its limits (a lost record held a key's stream slot for good).
      this.#o.log.error('relay failed', { request_id: id, error });
      client.fail(toSluiceError(error));
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
      searchesAsked: searchesAsked(parsed.feeTools),
      generatedText: () => capturedText(tap.rawText),
      requestBody: Buffer.isBuffer(parsed.body) ? parsed.body : undefined,
      answer: () => tap.json,
      tries: attempts.map((a) => ({ upstream: a.upstream, answer: String(a.answer) })),
    });
    if (client.endReason === 'done' && client.status < 300 && translation === undefined)
      await this.#objects.record(principal, parsed, method, tap, upstream?.name);
    const held = client.held;
    // A translated answer was put in the client's shape as it ended (`ClientStream.finish`).
    if (held !== undefined && translation !== undefined) {
      client.answer(held.status, held.headers, held.body);
    } else if (held !== undefined && filtersList && parsed.route.kind === 'scoped') {
      const body = await this.#objects
        .filter(principal, parsed.route.scope, held.body)
        .catch((error: unknown) => {
          this.#o.log.error('could not filter a list to the caller’s objects', {
            request_id: id,
            error,
          });
          return Buffer.from('{"object":"list","data":[]}');
        });
      client.answer(held.status, held.headers, namesAccount ? withoutAccountIds(body) : body);
    } else if (held !== undefined && listsModels) {
      client.answer(held.status, held.headers, withoutModelOwners(held.body));
    } else if (held !== undefined && namesAccount) {
      client.answer(held.status, held.headers, withoutAccountIds(held.body));
    } else client.complete();
    const { events } = client.tap;
    const gathered = arrivedGathered(events, client.upstreamReads);
    if (gathered && record.upstream !== null)
      this.#heldWarnings.note(record.upstream, events, client.upstreamReads, id);
    this.#o.observer?.finished({
      record,
      attempts,
      errorCode: client.error?.code,
      gaps: client.gaps,
      trace: hop.trace,
      arrivedGathered: gathered,
    });
    await ticket.release(record);
    return { record, refused: undefined };
  }

  /**
   * An answer Sluice gives itself, recorded as any: the model list put together from every
   * upstream (`upstream`: their names), a token count no upstream gives (`local-count.ts`).
   */
  async #answerHere(
    { res, hop, started, parsed, ticket }: AnsweredHere,
    { upstream, model }: { upstream: string | undefined; model: string | undefined },
    produce: () => Promise<{ json: unknown; headers?: Record<string, string> }>,
  ): Promise<UsageRecord> {
    let endReason: EndReason = 'done';
    let answer: { json: unknown; headers?: Record<string, string> } | { failure: SluiceError };
    try {
      answer = await produce();
    } catch (error) {
      const failure = toSluiceError(error);
      endReason = failure.kind === 'timeout' ? 'timeout' : 'upstream_error';
      answer = { failure };
    }
    const body = 'json' in answer ? JSON.stringify(answer.json) : '';
    const record = await ticket.record({
      upstream,
      model,
      status: 'json' in answer ? 200 : answer.failure.status,
      endReason,
      upstreamTtfbMs: undefined,
      clientTtfbMs: performance.now() - started,
      clientTtftMs: undefined,
      tries: [],
      events: 0,
      bytes: Buffer.byteLength(body),
      maxGapMs: 0,
      usage: undefined,
      usageComplete: false,
      generatedText: () => '',
      requestBody: undefined,
    });
    if ('json' in answer) sendJson(res, 200, answer.json, answer.headers);
    else sendError(res, answer.failure, parsed.endpoint.dialect);
    this.#o.observer?.finished({
      record,
      attempts: [],
      errorCode: 'json' in answer ? undefined : answer.failure.code,
      gaps: undefined,
      trace: hop.trace,
    });
    await ticket.release(record);
    return record;
  }
}

/** What an answer given here needs of its request. */
interface AnsweredHere {
  readonly res: ServerResponse;
  readonly hop: TraceHop;
  readonly started: number;
  readonly parsed: ParsedRequest;
  readonly ticket: MeterTicket;
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
