/**
 * One answer of `/api/chat`: the chat service is a client of its own gateway — the request goes
 * through `/v1/chat/completions` like any other (relay, limits, usage record, attributed to the
 * user and their address) — and each token is passed on to the page the moment it arrives, in
 * the page's format. The answer is saved as it grows; when the user stops, what was written is
 * kept, marked `stopped`.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type Dispatcher, request } from 'undici';
import { type ErrorCode, GatewayRefusalError, isErrorCode, SluiceError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import { SseParser, type SseEvent } from '../sse/index.ts';
import type { Message, MessageStatus, Store } from '../store/types.ts';
import { parseChunk } from './chunks.ts';
import type { ChatEvent, Wire } from './wire.ts';

export interface AnswerOptions {
  readonly res: ServerResponse;
  readonly wire: Wire;
  readonly conversationId: string;
  readonly store: Store;
  readonly dispatcher: Dispatcher;
  /** `http://127.0.0.1:PORT` of this Sluice. */
  readonly gateway: URL;
  /** The credential and client address the gateway attributes the request to. */
  readonly headers: Record<string, string>;
  readonly model: string;
  readonly history: readonly { role: 'user' | 'assistant'; content: string }[];
  readonly answer: Message;
  readonly log: Logger;
}

export interface AnswerResult {
  readonly status: MessageStatus;
  readonly chars: number;
  readonly ttftMs: number | null;
}

/** How often a growing answer is saved: a crash loses at most this much of it. */
const SAVE_EVERY_MS = 1000;

/**
 * Asks the gateway and streams its answer to the page. A refusal before the answer starts (a
 * limit, a bad model, an unreachable upstream) is thrown as the gateway's own error — status
 * and all — since nothing has been sent to the page yet; the caller drops what it stored.
 */
export async function streamAnswer(o: AnswerOptions): Promise<AnswerResult> {
  const abort = new AbortController();
  const onClose = () => {
    if (!o.res.writableFinished) abort.abort();
  };
  o.res.on('close', onClose);
  const progress = new Progress(o);
  try {
    const body = await askGateway(o, abort.signal, progress);
    o.res.writeHead(200, o.wire.headers);
    o.res.flushHeaders();
    await progress.emit(
      { type: 'start', conversation_id: o.conversationId, message_id: o.answer.id, model: o.model },
      abort.signal,
    );
    await relayTokens(body, progress, abort.signal);
    if (progress.status === 'complete') {
      await progress.emit(
        {
          type: 'done',
          finish_reason: progress.finish,
          usage: progress.usage,
          request_id: progress.requestId,
        },
        abort.signal,
      );
    }
  } catch (thrown) {
    if (thrown instanceof SluiceError && !o.res.headersSent) throw thrown;
    progress.failed(thrown, abort.signal.aborted);
  } finally {
    o.res.off('close', onClose);
  }
  await progress.save();
  if (!o.res.destroyed) o.res.end();
  return { status: progress.status, chars: progress.content.length, ttftMs: progress.ttftMs };
}

/** The gateway's event stream, or its refusal thrown as a `SluiceError`. */
async function askGateway(
  o: AnswerOptions,
  signal: AbortSignal,
  progress: Progress,
): Promise<AsyncIterable<Buffer>> {
  const response = await request(new URL('/v1/chat/completions', o.gateway), {
    method: 'POST',
    dispatcher: o.dispatcher,
    signal,
    headers: { ...o.headers, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({
      model: o.model,
      stream: true,
      stream_options: { include_usage: true },
      messages: o.history,
    }),
  });
  progress.requestId = headerOf(response.headers['x-sluice-request-id']);
  if (response.statusCode === 200) return response.body as AsyncIterable<Buffer>;
  const failure = errorOf(await response.body.text(), response.statusCode);
  const retryAfter = headerOf(response.headers['retry-after']);
  throw new GatewayRefusalError(response.statusCode, failure.code, failure.message, retryAfter);
}

/** Reads the gateway's Chat Completions chunks and passes each token on as it comes. */
async function relayTokens(
  body: AsyncIterable<Buffer>,
  progress: Progress,
  signal: AbortSignal,
): Promise<void> {
  const events: SseEvent[] = [];
  const parser = new SseParser((event) => events.push(event));
  for await (const chunk of body) {
    parser.push(chunk);
    for (const event of events.splice(0)) {
      if (event.data === undefined) {
        if (event.comments.length > 0) await progress.keepalive(signal);
        continue;
      }
      if (event.data === '[DONE]') continue;
      const parsed = parseChunk(event.data);
      if (parsed.error !== undefined) {
        progress.status = 'error';
        progress.error = parsed.error.message;
        await progress.emit({ type: 'error', error: parsed.error }, signal);
        continue;
      }
      if (parsed.reasoning !== '')
        await progress.emit({ type: 'reasoning', text: parsed.reasoning }, signal);
      if (parsed.text !== '') {
        progress.firstToken();
        progress.content += parsed.text;
        await progress.emit({ type: 'delta', text: parsed.text }, signal);
      }
      progress.finish = parsed.finish ?? progress.finish;
      progress.usage = parsed.usage ?? progress.usage;
    }
    await progress.saveNow();
  }
}

/** The answer as it grows, and the writes to the page (backpressure: a full page waits). */
class Progress {
  readonly #o: AnswerOptions;
  readonly #started = performance.now();
  #savedAt = this.#started;
  #firstTokenAt: number | null = null;
  content = '';
  status: MessageStatus = 'complete';
  finish: string | null = null;
  usage: { prompt_tokens: number; completion_tokens: number } | null = null;
  requestId: string | null = null;
  error: string | null = null;

  constructor(o: AnswerOptions) {
    this.#o = o;
  }

  get ttftMs(): number | null {
    return this.#firstTokenAt === null ? null : this.#firstTokenAt - this.#started;
  }

  firstToken(): void {
    this.#firstTokenAt ??= performance.now();
  }

  emit(event: ChatEvent, signal: AbortSignal): Promise<void> {
    return this.#send(this.#o.wire.event(event), signal);
  }

  keepalive(signal: AbortSignal): Promise<void> {
    return this.#send(this.#o.wire.keepalive, signal);
  }

  async #send(chunk: string | Buffer, signal: AbortSignal): Promise<void> {
    if (!this.#o.res.write(chunk)) await once(this.#o.res, 'drain', { signal });
  }

  /** Saves what has been written if the last save is a while ago. */
  async saveNow(): Promise<void> {
    if (performance.now() - this.#savedAt < SAVE_EVERY_MS) return;
    this.#savedAt = performance.now();
    await this.#o.store.updateMessage(this.#o.answer.id, { content: this.content });
  }

  save(): Promise<void> {
    const { content, status, requestId, error } = this;
    return this.#o.store.updateMessage(this.#o.answer.id, { content, status, requestId, error });
  }

  /** The page went away (stopped), or the answer broke off (error, told to the page if it is there). */
  failed(thrown: unknown, stopped: boolean): void {
    if (stopped) {
      this.status = 'stopped';
      return;
    }
    this.status = 'error';
    this.error = (thrown as Error).message;
    this.#o.log.warn('chat answer failed', { error: thrown });
    if (this.#o.res.headersSent && !this.#o.res.destroyed) {
      this.#o.res.write(
        this.#o.wire.event({
          type: 'error',
          error: { message: 'The answer broke off; see the server log.', code: 'upstream_error' },
        }),
      );
    }
  }
}

/** The gateway's error, or the upstream's it passed on (whose code is not one of Sluice's). */
function errorOf(body: string, status: number): { message: string; code: ErrorCode } {
  const fallback: ErrorCode = status >= 500 ? 'upstream_error' : 'upstream_http_error';
  try {
    const error = (JSON.parse(body) as { error?: { message?: unknown; code?: unknown } }).error;
    if (typeof error?.message === 'string') {
      return { message: error.message, code: isErrorCode(error.code) ? error.code : fallback };
    }
  } catch {
    // not JSON
  }
  return { message: `The gateway answered HTTP ${status}.`, code: fallback };
}

function headerOf(value: string | string[] | undefined): string | null {
  return typeof value === 'string' ? value : null;
}
