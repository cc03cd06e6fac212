/**
 * One try of one upstream: an undici dispatch handler that relays the response body into the
 * `ClientStream` chunk by chunk — no streams in between, backpressure through the dispatch
 * controller's pause/resume.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Timeouts } from '../config/index.ts';
import { SluiceError, UpstreamProtocolError, UpstreamTimeoutError } from '../errors/index.ts';
import {
  bedrockErrorBody,
  bedrockReshape,
  type Reshape,
  type Upstream,
} from '../upstream/index.ts';
import type { ClientStream } from './client-stream.ts';
import { ClientGone, type Stop } from './stop.ts';
import { isFailoverStatus, mapUpstreamError, upstreamHttpFailure } from './upstream-errors.ts';

/**
 * What a try said of the upstream: its HTTP status, or how it failed without one; `refused`:
 * the client's body failed on the way (a form's model refused, a stall, a size limit), which
 * says nothing of the upstream.
 */
export type Answer = number | 'unreachable' | 'timeout' | 'broken' | 'refused';

export type AttemptResult =
  /** The response went to the client, complete or ended by an in-band error. */
  | { readonly kind: 'relayed'; readonly answer: Answer }
  /**
   * Nothing of this try reached the client; `retryable` if another upstream or key may do
   * better; `retryAfterMs` from a 429's `Retry-After`.
   */
  | {
      readonly kind: 'failed';
      readonly error: SluiceError;
      readonly retryable: boolean;
      readonly answer: Answer;
      readonly retryAfterMs: number | undefined;
    }
  /** The client went away. */
  | { readonly kind: 'cancelled' };

export interface AttemptOptions {
  readonly upstream: Upstream;
  readonly request: Dispatcher.DispatchOptions;
  readonly client: ClientStream;
  readonly timeouts: Timeouts;
  /** Stopped when the client goes away, the total timeout fires or shutdown ends it; the reason says which. */
  readonly stop: Stop;
  /** The credential headers this try sent: never passed on in an error body that quotes them. */
  readonly credentials?: Readonly<Record<string, string>>;
}

const MAX_ERROR_BODY = 64 * 1024;
/**
 * After a stream's final event, how long the upstream may keep its connection silent before
 * the client's answer is ended for it. Providers close at once; a relay that holds on made
 * SDKs (which read to the end of the body) wait out the idle timeout for a complete answer.
 */
const AFTER_FINAL_MS = 2000;

export function attempt(options: AttemptOptions): Promise<AttemptResult> {
  return new Promise((resolve) => {
    options.upstream.dispatcher.dispatch(options.request, new AttemptHandler(options, resolve));
  });
}

type Phase = 'head' | 'error-body' | 'body' | 'settled';

class AttemptHandler implements Dispatcher.DispatchHandler {
  readonly #o: AttemptOptions;
  readonly #resolve: (result: AttemptResult) => void;
  #phase: Phase = 'head';
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #headers: Record<string, string | string[] | undefined> = {};
  #errorChunks: Buffer[] = [];
  #errorBytes = 0;
  /** Bedrock's answer, turned into Anthropic's (`upstream/bedrock.ts`). */
  #reshape: Reshape | undefined;
  /** Armed once the final event went out: ends the answer if the upstream says no more. */
  #afterFinal: NodeJS.Timeout | undefined;

  constructor(options: AttemptOptions, resolve: (result: AttemptResult) => void) {
    this.#o = options;
    this.#resolve = resolve;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    this.#o.stop.listen(this.#onStop);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (status < 200) return; // 1xx: the real response follows
    // undici keeps the raw header Buffers on the controller until the response ends, and they
    // are views into the socket's first read, which they keep too: ~2 KiB per open stream. The
    // parsed `headers` are all a relay needs.
    controller.rawHeaders = null;
    if (status >= 400) {
      // The error body is read whole (it is small and bounded) before failing over, so the log
      // has the provider's own words for what went wrong.
      this.#phase = 'error-body';
      this.#status = status;
      this.#headers = headers;
      return;
    }
    this.#status = status;
    if (this.#o.upstream.bedrock !== undefined) {
      this.#reshape = bedrockReshape(this.#o.request.path, headers['content-type']);
      if (this.#reshape !== undefined) {
        headers = { ...headers, 'content-type': this.#reshape.contentType };
        delete headers['content-length'];
      }
    }
    this.#phase = 'body';
    this.#o.client.onDrain(() => {
      controller.resume();
    });
    if (this.#reshape?.whole === true)
      this.#headers = headers; // begun at the end
    else this.#begin(controller, headers);
  }

  /** The client's answer begins with the upstream's status and `headers`. */
  #begin(
    controller: Dispatcher.DispatchController,
    headers: Record<string, string | string[] | undefined>,
  ): boolean {
    if (!this.#o.client.begin(this.#status, headers, this.#o.upstream.proxied)) {
      const error = new UpstreamProtocolError(
        this.#o.upstream.name,
        `answered ${String(headers['content-type'] ?? 'an unknown type')}${
          headers['content-encoding'] === undefined
            ? ''
            : ` (${String(headers['content-encoding'])})`
        }, which is not what this request's answer can be relayed from.`,
      );
      this.#o.client.fail(error);
      this.#settle({ kind: 'relayed', answer: 'broken' });
      controller.abort(error);
      return false;
    }
    return true;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#phase === 'body') {
      const { client } = this.#o;
      const reshape = this.#reshape;
      const events =
        reshape === undefined ? chunk : this.#reshaped(controller, () => reshape.push(chunk));
      if (events === undefined) return;
      if (events.length > 0 && !client.write(events)) controller.pause();
      if (client.finalEventRelayed) this.#armAfterFinal(controller);
      // The client's answer failed on this chunk (one too large to hold whole): it goes out
      // now, and no more of the upstream's is read.
      if (client.error !== undefined) {
        this.#settle({ kind: 'relayed', answer: 'broken' });
        controller.abort(client.error);
      }
    } else if (this.#phase === 'error-body') {
      if (this.#errorBytes < MAX_ERROR_BODY) this.#errorChunks.push(chunk);
      this.#errorBytes += chunk.length;
    }
  }

  onResponseEnd(controller: Dispatcher.DispatchController): void {
    if (this.#phase === 'body') {
      const reshape = this.#reshape;
      if (reshape !== undefined) {
        const tail = this.#reshaped(controller, () => reshape.end());
        if (tail === undefined) return;
        if (
          reshape.whole &&
          !this.#begin(controller, { ...this.#headers, 'content-length': String(tail.length) })
        )
          return;
        if (tail.length > 0) this.#o.client.write(tail);
      }
      this.#o.client.finish(this.#o.upstream.name);
      this.#settle({ kind: 'relayed', answer: this.#status });
    } else if (this.#phase === 'error-body') {
      const read = Buffer.concat(this.#errorChunks).subarray(0, MAX_ERROR_BODY);
      const error = upstreamHttpFailure(
        this.#o.upstream.name,
        this.#status,
        this.#headers,
        this.#o.upstream.bedrock === undefined
          ? read
          : bedrockErrorBody(this.#status, this.#headers, read),
        Object.values(this.#o.credentials ?? {}),
        this.#errorBytes > MAX_ERROR_BODY,
      );
      this.#settle({
        kind: 'failed',
        error,
        retryable: isFailoverStatus(this.#status),
        answer: this.#status,
        retryAfterMs: retryAfterMs(this.#headers['retry-after']),
      });
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#phase === 'settled') return;
    const { stop, client, upstream, timeouts } = this.#o;
    if (stop.reason === ClientGone) {
      this.#settle({ kind: 'cancelled' });
      return;
    }
    const { body } = this.#o.request;
    if (body instanceof Readable && body.errored instanceof SluiceError) {
      this.#settle({
        kind: 'failed',
        error: body.errored,
        retryable: false,
        answer: 'refused',
        retryAfterMs: undefined,
      });
      return;
    }
    const mapped = mapUpstreamError(upstream.name, error, timeouts, this.#phase === 'body');
    if (this.#phase === 'body') {
      client.fail(mapped);
      this.#settle({ kind: 'relayed', answer: 'broken' });
    } else {
      this.#settle({
        kind: 'failed',
        error: mapped,
        // Shutdown or the total timeout stopped it: nothing another upstream could do better.
        retryable: stop.reason === undefined,
        answer: mapped instanceof UpstreamTimeoutError ? 'timeout' : 'unreachable',
        retryAfterMs: undefined,
      });
    }
  }

  /** What `make` gives of Bedrock's answer for the client; undefined when it is broken. */
  #reshaped(controller: Dispatcher.DispatchController, make: () => string): Buffer | undefined {
    let text: string;
    try {
      text = make();
    } catch (cause) {
      const error = new UpstreamProtocolError(
        this.#o.upstream.name,
        `sent a broken ${this.#reshape?.whole === true ? 'answer' : 'event stream'} (${
          cause instanceof Error ? cause.message : String(cause)
        }).`,
      );
      this.#o.client.fail(error);
      this.#settle({ kind: 'relayed', answer: 'broken' });
      controller.abort(error);
      return undefined;
    }
    return Buffer.from(text);
  }

  /** (Re)starts the wait for the upstream to end after its final event. */
  #armAfterFinal(controller: Dispatcher.DispatchController): void {
    clearTimeout(this.#afterFinal);
    this.#afterFinal = setTimeout(() => {
      if (this.#phase !== 'body') return;
      const { client, upstream } = this.#o;
      // Silent because Sluice paused it for a slow client: not the upstream's doing.
      if (client.paused) {
        this.#armAfterFinal(controller);
        return;
      }
      client.finish(upstream.name);
      this.#settle({ kind: 'relayed', answer: this.#status });
      controller.abort(
        new UpstreamProtocolError(upstream.name, 'kept its connection open after its final event.'),
      );
    }, AFTER_FINAL_MS);
  }

  #settle(result: AttemptResult): void {
    if (this.#phase === 'settled') return;
    clearTimeout(this.#afterFinal);
    this.#phase = 'settled';
    this.#o.stop.listen(undefined);
    this.#resolve(result);
  }

  readonly #onStop = (reason: Error): void => {
    this.#controller?.abort(reason);
  };
}

/** `Retry-After` in seconds or as an HTTP date (RFC 9110 §10.2.3), in ms from now. */
function retryAfterMs(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
