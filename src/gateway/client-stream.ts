/**
 * The client's side of one relayed request: headers, bytes, keepalives, backpressure, and how
 * it ends. Invariants (DESIGN.md): 1 each chunk is written in the turn it arrives; 2 event-stream
 * headers go out at once; 3 silences — waiting for the upstream's headers included — are filled
 * with comment keepalives; 4 a full client socket pauses the upstream; 6 after the first byte a
 * failure is an in-band error of the client's dialect, never a clean end.
 *
 * The response is not completed here: when the upstream is done, whatever completes the
 * response for the client (the chunked body's terminator, the last byte of a body of known
 * length, a whole error answer) waits for `complete()`, which the gateway calls once the
 * request's final usage record is journaled — so a response a client saw complete always has
 * its record, even if the process is killed the next instant.
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dialect, StreamTranslator } from '../dialects/index.ts';
import {
  ShuttingDownError,
  SluiceError,
  UpstreamHttpError,
  UpstreamProtocolError,
} from '../errors/index.ts';
import { type EventSink, KEEPALIVE, SseFramer } from '../sse/index.ts';
import type { EndReason as StoreEndReason } from '../store/types.ts';
import { EVENT_STREAM_HEADERS, isEventStream, isJson, sendError } from '../http/index.ts';
import { clientResponseHeaders } from './headers.ts';
import { ChunkEdits } from './chunk-edits.ts';
import { bodyLength, ChunkedSink } from './chunked-sink.ts';
import { Gaps } from './gaps.ts';
import { EventTap } from './tap.ts';
import { TranslatingSink } from './translating-sink.ts';
import { UpstreamReport, upstreamDetails } from './upstream-report.ts';

/** Outputs closer than this came from one arrival of the upstream's bytes. */
const TOGETHER_MS = 0.2;

/** What the client side of a translated stream needs (see `translation.ts`). */
export interface StreamTranslation {
  readonly upstreamDialect: Dialect;
  readonly stream: StreamTranslator | undefined;
  /** A whole JSON answer into the client's shape. */
  answer(json: unknown): unknown;
  errorBody(body: Buffer): Buffer;
}

/** How the request ended, for the log and the usage record (`interrupted` is for later starts). */
export type EndReason = Exclude<StoreEndReason, 'interrupted'>;

/** A whole JSON answer held back to be rewritten (a list filtered to the caller's objects). */
export interface HeldAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Largest answer held whole; list pages are a few KiB. */
const MAX_HELD = 8 * 1024 * 1024;

export type StreamState =
  /** Nothing sent yet. */
  | 'waiting'
  /** Event-stream headers and keepalives sent while the upstream is silent. */
  | 'committed'
  /** Relaying the upstream's body. */
  | 'relaying'
  | 'ended';

export class ClientStream {
  readonly #res: ServerResponse;
  readonly #dialect: Dialect;
  /** Set when the upstream speaks the other API family (`translation.ts`). */
  readonly #translation: StreamTranslation | undefined;
  #translating: TranslatingSink | undefined;
  readonly #keepaliveMs: number;
  /** What the events say: counts, terminal, usage; set once the body turns out to be events. */
  readonly tap: EventTap;
  #state: StreamState = 'waiting';
  #framer: SseFramer | undefined;
  /** The edits the tap returned for the events of the chunk being relayed. */
  readonly #edits = new ChunkEdits();
  /** The body's way to the client, once headers are out. */
  #sink: ChunkedSink | undefined;
  #keepalive: NodeJS.Timeout | undefined;
  /** `performance.now()` of the last write to the client, keepalives included. */
  #lastWriteAt = 0;
  #resumeUpstream: (() => void) | undefined;
  /** What completes the response once its record is journaled (see `complete`). */
  #completion: (() => void) | undefined;
  /** Body bytes still to come of a response with a known length; the last one waits. */
  #remaining: number | undefined;
  #lastByte: Buffer | undefined;
  /** Set by `holdAnswer`: a JSON answer is collected here instead of being relayed. */
  #held:
    | { chunks: Buffer[]; bytes: number; status: number; headers: Record<string, string> }
    | 'wanted'
    | undefined;

  bytes = 0;
  /**
   * Times the upstream's body arrived (for a hold behind Sluice: `held-upstream.ts`): each
   * chunk whose output went out more than `TOGETHER_MS` after the one before. The HTTP chunks
   * of one socket read come in one turn, one call each: a relay that holds every event and
   * then sends each as its own HTTP chunk still delivered them together.
   */
  upstreamReads = 0;
  /** `performance.now()` of the first upstream byte written, and of the latest one. */
  firstByteAt: number | undefined;
  lastByteAt: number | undefined;
  /** `performance.now()` when the upstream's first body byte arrived. */
  firstUpstreamByteAt: number | undefined;
  /**
   * `performance.now()` when the first event carrying content (text, reasoning, a tool call)
   * was written; for a whole JSON answer, when it was all written.
   */
  firstTokenAt: number | undefined;
  maxGapMs = 0;
  /** Every silence between two writes (after the first), by size. */
  readonly gaps = new Gaps();
  endReason: EndReason | undefined;
  error: SluiceError | undefined;
  /** The client's socket is full and the upstream read is paused until it drains. */
  paused = false;
  /** The doctor asked (`upstream-report.ts`): with details for an admin, or without. */
  #reportAsked: 'details' | 'timing' | undefined;
  #report: UpstreamReport | undefined;

  constructor(
    res: ServerResponse,
    dialect: Dialect,
    keepaliveMs: number,
    hideUsage: boolean,
    translation?: StreamTranslation,
  ) {
    this.#res = res;
    this.#dialect = dialect;
    this.#keepaliveMs = keepaliveMs;
    this.#translation = translation;
    // A translated stream is metered in the upstream's dialect, before translation.
    this.tap = new EventTap(
      translation?.upstreamDialect ?? dialect,
      translation ? false : hideUsage,
    );
  }

  get state(): StreamState {
    return this.#state;
  }

  /**
   * The status the client was, or is about to be, answered with; 499 (nginx's "client closed
   * request") when it left before any answer.
   */
  get status(): number {
    if (this.#res.headersSent) return this.#res.statusCode;
    if (this.endReason === 'client_cancelled') return 499;
    if (this.error !== undefined) return this.error.status;
    if (typeof this.#held === 'object') return this.#held.status;
    return this.#res.statusCode;
  }

  /**
   * The upstream's final event has been relayed: the answer is whole, whatever the upstream
   * does with its connection after it.
   */
  get finalEventRelayed(): boolean {
    return (
      this.#framer !== undefined &&
      this.tap.sawTerminal &&
      (this.#translation?.upstreamDialect ?? this.#dialect).hasTerminal
    );
  }

  /** Whether anything — headers included — has gone to the client. */
  get started(): boolean {
    return this.#state !== 'waiting';
  }

  /**
   * For a streaming request, before the upstream answers: if it stays silent for a keepalive
   * interval, commit to a `200` event stream and keep it alive, so no first-byte timeout of a
   * proxy or CDN fires. Quick upstream errors still arrive as plain HTTP errors.
   */
  awaitUpstream(): void {
    this.#armKeepalive();
  }

  /**
   * A doctor's request: its event stream ends with how the upstream's answer reached Sluice,
   * and, when `details`, what names the hops between (for admins).
   */
  reportUpstream(details: boolean): void {
    this.#reportAsked = details ? 'details' : 'timing';
  }

  /** Collect a JSON answer whole instead of relaying it (`held` has it once the upstream ends). */
  holdAnswer(): void {
    this.#held = 'wanted';
  }

  /** The answer collected by `holdAnswer`, when the upstream's was JSON and complete. */
  get held(): HeldAnswer | undefined {
    const held = this.#held;
    if (
      held === undefined ||
      held === 'wanted' ||
      this.#state !== 'ended' ||
      this.endReason !== 'done'
    )
      return undefined;
    return {
      status: held.status,
      headers: held.headers,
      body: Buffer.concat(held.chunks, held.bytes),
    };
  }

  /**
   * The upstream answered with a success status. Returns false if this body cannot follow what
   * the client has already been sent (an event stream was promised, something else came).
   */
  begin(
    status: number,
    upstreamHeaders: Readonly<Record<string, string | string[] | undefined>>,
    proxied = false,
  ): boolean {
    const sse = isEventStream(upstreamHeaders['content-type']);
    // A compressed event stream cannot be framed; pass its bytes through untouched.
    const framed = sse && isIdentity(upstreamHeaders);
    // A translated answer must be what its translation reads: a plain event stream, or a JSON
    // answer held whole. Anything else (HTML, JSON to a stream, a compressed stream) went to
    // the client as it came, in the other family's shape, as a success.
    const translation = this.#translation;
    if (
      translation !== undefined &&
      !(translation.stream !== undefined
        ? framed
        : !sse && isJson(upstreamHeaders['content-type']) && isIdentity(upstreamHeaders))
    )
      return false;
    if (framed && this.#reportAsked !== undefined) {
      this.#report = new UpstreamReport(
        this.#reportAsked === 'details' ? upstreamDetails(proxied, upstreamHeaders) : {},
      );
    }
    if (this.#state === 'committed') {
      // Its event stream has begun (keepalives): only a plain one can follow.
      if (!framed) return false;
    } else if (this.#held === 'wanted' && !sse && isJson(upstreamHeaders['content-type'])) {
      const headers = clientResponseHeaders(upstreamHeaders);
      delete headers['content-length'];
      this.#held = { chunks: [], bytes: 0, status, headers };
      // Its usage is read at the end, as any whole JSON answer's (`#hold` feeds the tap).
      this.tap.watchBody();
      this.#state = 'relaying';
      this.#disarmKeepalive();
      return true;
    } else {
      const headers = clientResponseHeaders(upstreamHeaders);
      if (sse) {
        delete headers['content-length'];
        Object.assign(headers, EVENT_STREAM_HEADERS, {
          'content-type': upstreamHeaders['content-type'],
        });
      }
      this.#res.writeHead(status, headers);
      this.#openSink();
      const length = Number(headers['content-length']);
      if (!this.#res.chunkedEncoding && this.#res.req.method !== 'HEAD' && length > 0)
        this.#remaining = length;
    }
    this.#state = 'relaying';
    const translator = this.#translation?.stream;
    if (framed && translator !== undefined) {
      this.#translating = new TranslatingSink(this.tap, translator);
      this.#framer = new SseFramer(this.#translating);
    } else if (framed) this.#framer = new SseFramer(this.#events);
    else if (!sse && isJson(upstreamHeaders['content-type'])) this.tap.watchBody();
    // Keepalive comments are plain text: never spliced into a compressed stream.
    if (framed) this.#armKeepalive();
    else this.#disarmKeepalive();
    return true;
  }

  /** One upstream body chunk. Returns false when the client is full: pause the upstream. */
  write(chunk: Buffer): boolean {
    const previous = this.lastByteAt;
    const report = this.#report;
    const before = this.tap.events;
    const room = this.#write(chunk);
    const at = this.lastByteAt;
    if (
      at !== undefined &&
      at !== previous &&
      (previous === undefined || at - previous > TOGETHER_MS)
    )
      this.upstreamReads++;
    report?.add(chunk.length, this.tap.events - before);
    return room;
  }

  #write(chunk: Buffer): boolean {
    const first = this.firstUpstreamByteAt === undefined;
    this.firstUpstreamByteAt ??= performance.now();
    if (typeof this.#held === 'object') return this.#hold(chunk);
    const framer = this.#framer;
    if (framer === undefined) {
      this.tap.onBody(chunk);
      return this.#relay(chunk, undefined);
    }
    // A byte order mark before the first event (the SSE spec allows one, every client drops
    // it) hid that event's field names from the tap: Anthropic's input tokens went unread.
    if (first && startsWithBom(chunk)) chunk = chunk.subarray(BOM.length);
    // The framer hands each complete event to the tap (`#events`), whose edits are collected.
    const out = framer.push(chunk);
    const translating = this.#translating;
    if (translating !== undefined) {
      if (framer.overflowed) {
        // An event past the framer's bound has no events left to translate: what followed was
        // dropped and a clean end made up for it.
        this.fail(
          new UpstreamProtocolError(
            'upstream',
            'sent an event larger than 32 MiB, which cannot be translated.',
          ),
        );
        return true;
      }
      const room = this.#relay(translating.take(), undefined);
      // The stream could not be translated: its error event is out, and the request failed
      // there (recorded so, and the upstream stopped: `attempt.ts` reads `error`).
      if (translating.failure !== undefined && this.error === undefined) {
        this.error = translating.failure;
        this.endReason = 'upstream_error';
        this.#end();
      }
      return room;
    }
    const edits = this.#edits;
    const room = this.#relay(out, edits);
    edits.clear();
    return room;
  }

  /** Each complete upstream event: the tap reads it and says how the client gets it. */
  readonly #events: EventSink = {
    onEvent: (buf, start, end) => {
      const edit = this.tap.onEvent(buf, start, end);
      if (edit !== undefined) this.#edits.add(start, end, edit);
    },
  };

  /** What a chunk became for the client (`edits` applied), written in this same turn. */
  #relay(out: Buffer | string, edits: ChunkEdits | undefined): boolean {
    const length = bodyLength(out, edits);
    if (length === 0) return true;
    const now = performance.now();
    if (this.firstTokenAt === undefined && this.tap.sawContent) this.firstTokenAt = now;
    if (this.lastByteAt === undefined) this.firstByteAt = now;
    else {
      const gap = now - this.lastByteAt;
      this.gaps.add(gap);
      if (gap > this.maxGapMs) this.maxGapMs = gap;
    }
    this.lastByteAt = now;
    this.#lastWriteAt = now;
    this.bytes += length;
    // Only a body of known length, never framed nor edited, has a last byte to keep.
    if (this.#remaining !== undefined && Buffer.isBuffer(out)) out = this.#keepLastByte(out);
    if (this.#send(out, edits)) return true;
    this.paused = true;
    return false;
  }

  /** A body of known length: its last byte would complete the response, so it waits. */
  #keepLastByte(out: Buffer): Buffer {
    const remaining = (this.#remaining ?? 0) - out.length;
    this.#remaining = remaining;
    if (remaining > 0 || out.length === 0) return out;
    this.#lastByte = Buffer.from(out.subarray(out.length - 1));
    return out.subarray(0, out.length - 1);
  }

  /**
   * A held answer of the other family, put in the client's shape before it is recorded: one
   * that cannot be read as such (not JSON, not the shape its API has) is the upstream's failure.
   */
  #translateHeld(upstream: string): SluiceError | undefined {
    const held = this.#held;
    const translation = this.#translation;
    if (typeof held !== 'object' || translation === undefined) return undefined;
    try {
      const json: unknown = JSON.parse(Buffer.concat(held.chunks, held.bytes).toString('utf8'));
      const body = Buffer.from(JSON.stringify(translation.answer(json)));
      held.chunks = [body];
      held.bytes = body.length;
      return undefined;
    } catch (error) {
      if (error instanceof SluiceError) return error;
      const why = error instanceof Error ? error.message : String(error);
      return new UpstreamProtocolError(upstream, `its answer could not be read (${why}).`, error);
    }
  }

  #hold(chunk: Buffer): boolean {
    const held = this.#held;
    if (typeof held !== 'object') return true;
    this.tap.onBody(chunk);
    held.bytes += chunk.length;
    if (held.bytes > MAX_HELD) {
      // Failed while held: nothing was sent, so the client gets the error as an HTTP answer.
      this.fail(
        new UpstreamProtocolError(
          'upstream',
          `answered more than ${MAX_HELD} bytes where the whole answer must be read (a list to filter, or an answer to translate).`,
        ),
      );
      return true;
    }
    held.chunks.push(chunk);
    return true;
  }

  /** Bytes written but not yet taken by the client's socket. */
  get buffered(): number {
    return this.#sink?.buffered ?? 0;
  }

  /** Sets what to call when a full client socket drains. */
  onDrain(resume: () => void): void {
    this.#resumeUpstream = resume;
  }

  /** The upstream body ended cleanly. */
  finish(upstream: string): void {
    if (this.#state === 'ended') return;
    const framer = this.#framer;
    if (framer !== undefined) {
      const rest = framer.takePending();
      // An unterminated final event is dropped by every SSE client; if it is the terminal
      // event, end it properly rather than report a truncated stream.
      const upstreamDialect = this.#translation?.upstreamDialect ?? this.#dialect;
      const translating = this.#translating;
      if (rest.length > 0 && upstreamDialect.classify(rest, 0, rest.length) === 'done') {
        const whole = Buffer.concat([rest, Buffer.from('\n\n')]);
        if (translating === undefined) {
          this.tap.onEvent(rest, 0, rest.length);
          this.#send(whole);
        } else translating.onEvent(whole, 0, whole.length);
      }
      const { sawTerminal, sawErrorEvent } = this.tap;
      if (upstreamDialect.hasTerminal && !sawTerminal && !sawErrorEvent && !framer.overflowed) {
        this.fail(new UpstreamProtocolError(upstream, 'the stream ended before its final event.'));
        return;
      }
      if (translating !== undefined) this.#send(translating.end());
      if (this.#report !== undefined) this.#send(this.#report.comment());
    } else {
      this.tap.endBody();
      // A whole answer: its first token reaches the client with the rest of it.
      if (this.tap.sawTerminal) this.firstTokenAt = this.lastByteAt;
      const failure = this.#translateHeld(upstream);
      if (failure !== undefined) {
        this.fail(failure);
        return;
      }
    }
    this.endReason = this.tap.sawErrorEvent ? 'upstream_error' : 'done';
    this.#end();
  }

  /**
   * Completes the response: called once its final record is journaled. A held answer is
   * completed by `answer` instead.
   */
  complete(): void {
    const completion = this.#completion;
    this.#completion = undefined;
    completion?.();
  }

  /** Sends the (rewritten) held answer as the response. */
  answer(status: number, headers: Record<string, string>, body: Buffer): void {
    this.#completion = undefined;
    this.#res.writeHead(status, { ...headers, 'content-length': body.length });
    this.#res.end(body);
  }

  /**
   * Ends with an error: an HTTP error if nothing was sent yet, else the dialect's in-band error
   * event; a body that is not an event stream has no in-band form, so its connection is cut.
   */
  fail(error: SluiceError): void {
    if (this.#state === 'ended') return;
    if (this.finalEventRelayed && !(error instanceof ShuttingDownError)) {
      // The answer was whole: what failed after its final event (a connection that broke, or
      // stalled to the idle timeout) is not the answer's. An error after it made SDKs throw
      // for a complete message.
      if (this.#translating !== undefined) this.#send(this.#translating.end());
      this.endReason = 'done';
      this.#end();
      return;
    }
    const translation = this.#translation;
    if (error instanceof UpstreamHttpError && translation !== undefined) {
      // The upstream's error body is in its dialect: the client gets it in its own.
      error = new UpstreamHttpError(
        'upstream',
        error.status,
        { 'content-type': 'application/json' },
        translation.errorBody(error.body),
      );
    }
    this.error = error;
    this.endReason ??=
      error instanceof ShuttingDownError
        ? 'shutdown'
        : error.kind === 'timeout'
          ? 'timeout'
          : 'upstream_error';
    if (
      this.#state === 'waiting' ||
      (this.#state === 'relaying' && typeof this.#held === 'object')
    ) {
      this.#held = undefined;
      this.#finalize();
      this.#completion = () => {
        sendError(this.#res, error, this.#dialect);
      };
    } else if (this.#state === 'committed' || this.#framer !== undefined) {
      this.#send(this.#dialect.errorEvent(error, this.tap.events));
      this.#end();
    } else {
      this.#finalize();
      this.#res.destroy(error);
    }
  }

  /** The client went away: stop writing, nothing more to send. */
  cancelled(): void {
    // After the final event the answer was whole: an SDK stops reading there and lets go.
    this.endReason = this.finalEventRelayed ? 'done' : 'client_cancelled';
    this.#finalize();
  }

  #end(): void {
    this.#finalize();
    if (typeof this.#held === 'object') return; // completed by `answer`
    const lastByte = this.#lastByte;
    this.#completion = () => {
      if (lastByte !== undefined) this.#send(lastByte);
      this.#res.end();
    };
  }

  #finalize(): void {
    this.#state = 'ended';
    this.#disarmKeepalive();
    this.#sink?.offDrain(this.#onDrain);
    this.#resumeUpstream = undefined;
  }

  /**
   * Headers go out in this turn (invariant 2); the body follows through the sink. The socket
   * is corked until the turn's end, so an upstream's headers and its first events that arrive
   * in one read leave in one write: a write less per stream, and on a VM each write that wakes
   * the client costs tens of microseconds on the way to its first byte.
   */
  #openSink(): void {
    const socket = this.#res.socket;
    if (socket !== null) {
      socket.cork();
      process.nextTick(() => {
        socket.uncork();
      });
    }
    this.#res.flushHeaders();
    this.#sink = new ChunkedSink(this.#res);
    this.#sink.onDrain(this.#onDrain);
  }

  #send(bytes: Buffer | string, edits?: ChunkEdits): boolean {
    return this.#sink?.write(bytes, edits) ?? true;
  }

  /**
   * One timer per stream, not reset on every chunk: when it fires it looks at the last write
   * and either sends a keepalive or sleeps until one would be due.
   */
  #armKeepalive(): void {
    this.#lastWriteAt = performance.now();
    if (this.#keepalive === undefined)
      this.#keepalive = setTimeout(this.#onKeepalive, this.#keepaliveMs);
  }

  #disarmKeepalive(): void {
    clearTimeout(this.#keepalive);
    this.#keepalive = undefined;
  }

  readonly #onKeepalive = (): void => {
    if (this.#state === 'ended') return;
    const quietFor = performance.now() - this.#lastWriteAt;
    if (quietFor < this.#keepaliveMs - 1 && this.#state !== 'waiting') {
      this.#keepalive = setTimeout(this.#onKeepalive, this.#keepaliveMs - quietFor);
      return;
    }
    if (this.#state === 'waiting') {
      this.#res.writeHead(200, EVENT_STREAM_HEADERS);
      this.#openSink();
      this.#state = 'committed';
    }
    // A client that is not reading gains nothing from more bytes in its buffer.
    if (this.#sink?.full !== true) this.#send(KEEPALIVE);
    this.#lastWriteAt = performance.now();
    this.#keepalive = setTimeout(this.#onKeepalive, this.#keepaliveMs);
  };

  readonly #onDrain = (): void => {
    this.paused = false;
    this.#resumeUpstream?.();
  };
}

function isIdentity(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  return (headers['content-encoding'] ?? 'identity') === 'identity';
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function startsWithBom(chunk: Buffer): boolean {
  return chunk.length >= BOM.length && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
}
