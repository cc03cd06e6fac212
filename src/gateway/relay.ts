/**
 * Relaying one parsed request: try the upstreams in order until one answers (failover only while
 * nothing has reached the client), under the total timeout, aborted by a vanishing client or by
 * shutdown; the client's side of the stream is a `ClientStream`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Timeouts } from '../config/index.ts';
import { UpstreamTimeoutError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { Upstream } from '../upstream/index.ts';
import { attempt } from './attempt.ts';
import type { ClientStream } from './client-stream.ts';
import { upstreamRequestHeaders } from './headers.ts';
import { ClientGone, type Stop } from './stop.ts';
import type { ParsedRequest } from './request.ts';

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
}

/** Relays until the response has ended; resolves with the upstream that answered (or was tried last). */
export async function relay(ctx: RelayContext): Promise<Upstream | undefined> {
  const { req, res, parsed, client, timeouts } = ctx;
  if (parsed.stream) client.awaitUpstream();
  const { stop } = ctx;
  const onClose = () => {
    if (!res.writableFinished) stop.stop(ClientGone);
  };
  res.on('close', onClose);
  let current: Upstream | undefined;
  const total = setTimeout(() => {
    stop.stop(new UpstreamTimeoutError(current?.name ?? 'upstream', 'total', timeouts.totalMs));
  }, timeouts.totalMs);

  try {
    for (const [i, upstream] of ctx.candidates.entries()) {
      current = upstream;
      const request: Dispatcher.DispatchOptions = {
        origin: upstream.origin,
        path: upstream.basePath + ctx.path.slice('/v1'.length),
        method: req.method as Dispatcher.HttpMethod,
        headers: {
          ...upstream.defaultHeaders,
          ...upstreamRequestHeaders(req.headers, upstream.headers, {
            keepLength: !parsed.replayable && parsed.contentType === undefined,
            ...(parsed.contentType === undefined ? {} : { contentType: parsed.contentType }),
          }),
        },
        body: parsed.body,
        headersTimeout: timeouts.firstByteMs,
        bodyTimeout: timeouts.idleMs,
      };
      const canFailover = parsed.replayable && i < ctx.candidates.length - 1;
      const result = await attempt({
        upstream,
        request,
        client,
        timeouts,
        canFailover,
        stop,
      });
      if (result.kind === 'failed' && result.retryable && canFailover) {
        ctx.log.warn('upstream failed, trying the next', {
          upstream: upstream.name,
          error: result.error,
        });
        continue;
      }
      if (result.kind === 'failed') client.fail(result.error);
      else if (result.kind === 'cancelled') client.cancelled();
      break;
    }
  } finally {
    clearTimeout(total);
    res.off('close', onClose);
  }
  return current;
}
