/**
 * Relaying one parsed request: try the upstreams in order until one answers (failover only while
 * nothing has reached the client), under the total timeout, aborted by a vanishing client or by
 * shutdown; the client's side of the stream is a `ClientStream`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Timeouts } from '../config/index.ts';
import {
  InternalError,
  SluiceError,
  UpstreamAuthFailedError,
  UpstreamTimeoutError,
} from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import {
  type Attempt,
  AttemptPlan,
  type AwsCredentials,
  type Health,
  healthOutcomes,
  keyHeaders,
  type Outcome,
  bedrockSignature,
  type Upstream,
  type UpstreamKey,
  upstreamModel,
  upstreamPath,
} from '../upstream/index.ts';
import { attempt, type AttemptResult } from './attempt.ts';
import type { AttemptReport } from './observer.ts';
import type { ClientStream } from './client-stream.ts';
import { BodiesByModel, betasOf } from './upstream-body.ts';
import { upstreamRequestHeaders } from './headers.ts';
import { ClientGone, type Stop } from './stop.ts';
import type { ParsedRequest } from './request.ts';
import type { TraceHop } from './trace-hop.ts';

export interface RelayContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  readonly parsed: ParsedRequest;
  readonly candidates: readonly Upstream[];
  readonly client: ClientStream;
  readonly timeouts: Timeouts;
  /** Stopped by shutdown; the relay adds the client leaving and the total timeout. */
  readonly stop: Stop;
  readonly log: Logger;
  /** The request's id, on every line the relay logs. */
  readonly requestId: string;
  /** The request was translated to the upstream's family: none of the client's API headers go. */
  readonly translated: boolean;
  /** Each try is reported here as it ends, for the observers. */
  readonly attempts: AttemptReport[];
  /** What each try tells the upstream of the request's trace (`traceparent`). */
  readonly trace: TraceHop;
  /** Whose request it is (a user's id): what scopes its idempotency key. */
  readonly caller: string;
}

/** Relays until the response has ended; resolves with the upstream and key that answered (or were tried last). */
export async function relay(ctx: RelayContext): Promise<Attempt | undefined> {
  const { req, res, parsed, client, timeouts } = ctx;
  if (parsed.stream) client.awaitUpstream();
  const { stop } = ctx;
  const onClose = () => {
    if (!res.writableFinished) stop.stop(ClientGone);
  };
  res.on('close', onClose);
  let current: Attempt | undefined;
  const total = setTimeout(() => {
    stop.stop(
      new UpstreamTimeoutError(current?.upstream.name ?? 'upstream', 'total', timeouts.totalMs),
    );
  }, timeouts.totalMs);

  const plan = new AttemptPlan(ctx.candidates);
  const bodies = new BodiesByModel(
    parsed,
    ctx.path.split('?', 1)[0] ?? ctx.path,
    ctx.caller,
    ctx.translated ? [] : betasOf(req.headers['anthropic-beta']),
  );
  let failure: SluiceError | undefined;
  try {
    for (let next = plan.next(); next !== undefined;) {
      current = next;
      const { upstream, key } = next;
      const model = parsed.model === undefined ? undefined : upstreamModel(upstream, parsed.model);
      const method = req.method ?? 'GET';
      const traced = ctx.trace.nextTry();
      // A static key needs no await: only a minted token (Vertex) or AWS keys are fetched first.
      const credentials =
        key.token === undefined && upstream.bedrock?.credentials === undefined
          ? { headers: key.headers }
          : await credentialsOf(key, upstream.bedrock?.credentials);
      const path = upstreamPath(upstream, ctx.path, method, model, parsed.stream);
      let body: ParsedRequest['body'];
      try {
        body = bodies.for(model, upstream);
      } catch (error) {
        // What this upstream's API cannot carry (Bedrock's Converse): the client's to mend.
        if (!(error instanceof SluiceError)) throw error;
        failure = error;
        client.endReason = 'rejected';
        break;
      }
      const request: Dispatcher.DispatchOptions = {
        origin: upstream.origin,
        path,
        method,
        headers: {
          ...upstream.defaultHeaders,
          ...upstreamRequestHeaders(
            ctx.translated ? {} : req.headers,
            { ...traced.headers, ...upstream.headers, ...credentials.headers },
            {
              keepLength: !parsed.replayable && parsed.contentType === undefined,
              ...(parsed.contentType === undefined ? {} : { contentType: parsed.contentType }),
            },
            ctx.caller,
          ),
          // Bedrock: JSON, signed over the body as sent with that content type (unless a
          // Bedrock API key goes as a bearer token instead).
          ...(upstream.bedrock === undefined
            ? {}
            : {
                'content-type': 'application/json',
                ...(credentials.aws === undefined
                  ? {}
                  : bedrockSignature(upstream.bedrock.region, credentials.aws, {
                      method,
                      origin: upstream.origin,
                      path,
                      body: Buffer.isBuffer(body) ? body : undefined,
                    })),
              }),
        },
        body,
        headersTimeout: timeouts.firstByteMs,
        bodyTimeout: timeouts.idleMs,
      };
      const startedAt = Date.now();
      let result: AttemptResult;
      if (credentials.failed !== undefined) {
        result = credentials.failed;
      } else {
        // In flight for the choice of the next request's upstream; `attempt` never rejects.
        upstream.load.inFlight++;
        result = await attempt({
          upstream,
          request,
          client,
          timeouts,
          stop,
          credentials: credentials.headers,
        });
        upstream.load.inFlight--;
      }
      const report = {
        upstream: upstream.name,
        key: key.id,
        startedAt,
        endedAt: Date.now(),
        answer: result.kind === 'cancelled' ? ('cancelled' as const) : result.answer,
        failedOver: false,
        error: result.kind === 'failed' ? result.error.message : undefined,
        spanId: traced.spanId,
      };
      ctx.attempts.push(report);
      if (result.kind === 'cancelled') {
        upstream.health.release();
        key.health.release();
        client.cancelled();
        failure = undefined;
        break;
      }
      const health = healthOutcomes(
        result.answer,
        result.kind === 'failed' ? result.retryAfterMs : undefined,
      );
      noteHealth(ctx, upstream.name, upstream.health, health.upstream, result);
      noteHealth(ctx, key.id, key.health, health.key, result);
      if (result.kind === 'relayed') {
        failure = undefined;
        break;
      }
      failure = result.error;
      // The client's own body failed: answered and recorded as a refusal, like one before the relay.
      if (result.answer === 'refused') client.endReason = 'rejected';
      // Failover only while nothing has reached the client, and only with a body to send again.
      next = result.retryable && parsed.replayable ? plan.next(health.failure) : undefined;
      if (next !== undefined)
        ctx.attempts[ctx.attempts.length - 1] = { ...report, failedOver: true };
      if (next !== undefined)
        ctx.log.warn('upstream failed, trying the next', {
          request_id: ctx.requestId,
          upstream: upstream.name,
          key: key.id,
          next: next.key.id,
          error: result.error,
        });
    }
    if (failure !== undefined) client.fail(failure);
  } finally {
    clearTimeout(total);
    res.off('close', onClose);
  }
  return current;
}

/**
 * The key's headers, a minted token among them (`keyHeaders`), and Bedrock's AWS keys. Minting
 * or fetching can fail — the endpoint unreachable, or refusing the account or role — and that is
 * this try's failure, as if the upstream had answered so: another key or upstream may do better.
 */
async function credentialsOf(
  key: UpstreamKey,
  aws: (() => Promise<AwsCredentials>) | undefined,
): Promise<{
  headers: Readonly<Record<string, string>>;
  aws?: AwsCredentials;
  failed?: AttemptResult;
}> {
  try {
    const headers = await keyHeaders(key);
    return aws === undefined ? { headers } : { headers, aws: await aws() };
  } catch (error) {
    const failure = error instanceof SluiceError ? error : new InternalError(error);
    const refused = failure instanceof UpstreamAuthFailedError;
    return {
      headers: {},
      failed: {
        kind: 'failed',
        error: failure,
        retryable: true,
        answer: refused ? failure.upstreamStatus : 'unreachable',
        retryAfterMs: undefined,
      },
    };
  }
}

/** Records a try's outcome in a breaker; an opening or a recovery is said in the log. */
function noteHealth(
  { log, requestId }: RelayContext,
  id: string,
  health: Health,
  outcome: Outcome | undefined,
  result: AttemptResult,
): void {
  if (outcome === undefined) {
    // Nothing learnt of this one (a 429 says nothing of the upstream, a 5xx nothing of the
    // key): a half-open probe it was lets the next request be the probe.
    health.release();
    return;
  }
  const why = result.kind === 'failed' ? result.error.message : result.kind;
  const change = health.record(outcome, why);
  if (change === 'opened')
    log.warn('upstream breaker open: skipped until it recovers', {
      request_id: requestId,
      breaker: id,
      until: new Date(health.openUntil).toISOString(),
      reason: why,
    });
  else if (change === 'closed')
    log.info('upstream breaker closed: back in use', { request_id: requestId, breaker: id });
}
