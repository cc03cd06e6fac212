/**
 * The `/v1` hot path: pick the upstreams for the request, try them in order until one answers
 * (failover only before anything reached the client), relay the answer, and report how it went.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Principal } from '../accounts/index.ts';
import type { Config } from '../config/index.ts';
import {
  NotFoundError,
  ShuttingDownError,
  type SluiceError,
  UpstreamTimeoutError,
} from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import { isJson, limitedBody, parseJsonObject, readBody } from '../server/body.ts';
import { candidatesFor, type Upstream } from '../upstream/index.ts';
import { attempt, ClientGone } from './attempt.ts';
import { ClientStream, type EndReason } from './client-stream.ts';
import { type Endpoint, endpointFor } from './endpoints.ts';
import { upstreamRequestHeaders } from './headers.ts';

/** What one relayed request did: the seam for usage records. */
export interface RelaySummary {
  readonly principal: Principal;
  readonly endpoint: string;
  readonly model: string | undefined;
  readonly upstream: string | undefined;
  readonly status: number;
  readonly endReason: EndReason;
  readonly error: SluiceError | undefined;
  readonly events: number;
  readonly bytes: number;
  /** From request start: the upstream's first response byte at Sluice, and the first byte relayed. */
  readonly clientTtfbMs: number | undefined;
  readonly maxGapMs: number;
  readonly durationMs: number;
}

export interface GatewayOptions {
  readonly config: Pick<Config, 'timeouts' | 'keepaliveMs' | 'maxBodyBytes'>;
  readonly upstreams: readonly Upstream[];
  readonly log: Logger;
  /** Aborted when the drain deadline passes: open streams end with an in-band error. */
  readonly shutdown: AbortSignal;
}

/** Live state of the streams in flight, for `/metrics`. */
export interface StreamStats {
  readonly open: number;
  readonly paused: number;
  readonly bufferedBytes: number;
}

interface ParsedRequest {
  readonly endpoint: Endpoint;
  readonly body: Buffer | Readable | null;
  readonly replayable: boolean;
  readonly model: string | undefined;
  readonly stream: boolean;
}

export class Gateway {
  readonly #o: GatewayOptions;
  readonly #open = new Set<ClientStream>();

  constructor(options: GatewayOptions) {
    this.#o = options;
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

  /**
   * Relays one authenticated `/v1` request and says how it went. What fails before the relay
   * starts (bad body, unknown model) is thrown, for the server to answer.
   */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    principal: Principal,
    path: string,
  ): Promise<RelaySummary> {
    const started = performance.now();
    const parsed = await this.#parse(req, path);
    const candidates = candidatesFor(this.#o.upstreams, parsed.endpoint.family, parsed.model);
    if (candidates.length === 0) throw noUpstream(parsed, this.#o.upstreams);

    const { timeouts, keepaliveMs } = this.#o.config;
    const client = new ClientStream(res, parsed.endpoint.dialect, keepaliveMs);
    if (parsed.stream) client.awaitUpstream();

    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(ClientGone);
    };
    const onShutdown = () => {
      abort.abort(new ShuttingDownError());
    };
    res.on('close', onClose);
    this.#o.shutdown.addEventListener('abort', onShutdown, { once: true });
    this.#open.add(client);
    let current: Upstream | undefined;
    const total = setTimeout(() => {
      abort.abort(new UpstreamTimeoutError(current?.name ?? 'upstream', 'total', timeouts.totalMs));
    }, timeouts.totalMs);

    try {
      for (const [i, upstream] of candidates.entries()) {
        current = upstream;
        const request: Dispatcher.DispatchOptions = {
          origin: upstream.origin,
          path: upstream.basePath + path.slice('/v1'.length),
          method: req.method as Dispatcher.HttpMethod,
          headers: {
            ...upstream.defaultHeaders,
            ...upstreamRequestHeaders(req.headers, upstream.headers, !parsed.replayable),
          },
          body: parsed.body,
          headersTimeout: timeouts.firstByteMs,
          bodyTimeout: timeouts.idleMs,
        };
        const canFailover = parsed.replayable && i < candidates.length - 1;
        const result = await attempt({
          upstream,
          request,
          client,
          timeouts,
          canFailover,
          signal: abort.signal,
        });
        if (result.kind === 'failed' && result.retryable && canFailover) {
          this.#o.log.warn('upstream failed, trying the next', {
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
      this.#o.shutdown.removeEventListener('abort', onShutdown);
      this.#open.delete(client);
    }

    return {
      principal,
      endpoint: path.split('?')[0] ?? path,
      model: parsed.model,
      upstream: current?.name,
      status: res.statusCode,
      endReason: client.endReason ?? 'done',
      error: client.error,
      events: client.events,
      bytes: client.bytes,
      clientTtfbMs: client.firstByteAt === undefined ? undefined : client.firstByteAt - started,
      maxGapMs: client.maxGapMs,
      durationMs: performance.now() - started,
    };
  }

  async #parse(req: IncomingMessage, path: string): Promise<ParsedRequest> {
    const endpoint = endpointFor(path.split('?')[0] ?? path);
    const limit = this.#o.config.maxBodyBytes;
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    if (!hasBody)
      return {
        endpoint,
        body: null,
        replayable: true,
        model: undefined,
        stream: isStreamQuery(path),
      };
    if (!isJson(req)) {
      // Uploads (multipart audio, files) stream through unread; they cannot be replayed.
      return {
        endpoint,
        body: Readable.from(limitedBody(req, limit), { objectMode: false }),
        replayable: false,
        model: undefined,
        stream: false,
      };
    }
    const body = await readBody(req, limit);
    const json = parseJsonObject(body);
    const model = typeof json.model === 'string' ? json.model : undefined;
    return { endpoint, body, replayable: true, model, stream: json.stream === true };
  }
}

/** `GET /v1/responses/{id}?stream=true` resumes a Responses stream. */
function isStreamQuery(path: string): boolean {
  return /[?&]stream=true(?:&|$)/.test(path);
}

function noUpstream(parsed: ParsedRequest, upstreams: readonly Upstream[]): SluiceError {
  const { family } = parsed.endpoint;
  const hasFamily = upstreams.some((u) => u.family === family);
  const demoOnly = upstreams.filter((u) => u.family === family).every((u) => u.demo);
  if (!hasFamily) {
    return new NotFoundError(
      'no_upstream',
      family === 'anthropic'
        ? 'No Anthropic upstream is configured: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a relay).'
        : 'No OpenAI upstream is configured: set OPENAI_API_KEY or BASE_URL.',
    );
  }
  const model = parsed.model ?? '';
  return new NotFoundError(
    'model_not_found',
    demoOnly
      ? `The model \`${model}\` does not exist here: no upstream is configured, only the built-in demo model \`sluice-demo\`. ` +
          (family === 'anthropic'
            ? 'Set ANTHROPIC_API_KEY to use real models.'
            : 'Set OPENAI_API_KEY or BASE_URL to use real models.')
      : `The model \`${model}\` is not served by any configured upstream.`,
  );
}
