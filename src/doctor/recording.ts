/**
 * What one capture accumulates, whichever protocol carried it: milestones from one monotonic
 * clock, every read of the body at its wire size, the events parsed after decompression, and how
 * it ended. The first end wins: a close that follows an error changes nothing.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Transform } from 'node:stream';
import { CertificateError } from '../errors/index.ts';
import { parseUpstreamComment, type UpstreamView } from '../probe/index.ts';
import { SseParser } from '../sse/index.ts';
import type { CertificateSummary } from './certificate.ts';
import { decoderFor } from './decode.ts';
import { eventRecord } from './event-record.ts';
import { type ChatApi, endsAnswer } from './apis.ts';
import { watchStalls } from './stall-watch.ts';
import type {
  CaptureMode,
  EndKind,
  EventRecord,
  ForwardProxy,
  Phases,
  ProbeShape,
  ReadRecord,
  Timeline,
} from './timeline.ts';
import { MAX_RECORDED } from './timeline.ts';

const BODY_HEAD_BYTES = 2048;

export interface RecordingTarget {
  readonly url: URL;
  readonly mode: CaptureMode;
  readonly api?: ChatApi;
  readonly probe?: ProbeShape;
}

export class Recording {
  readonly #target: RecordingTarget;
  readonly #t0 = performance.now();
  readonly #startedEpochMs = Date.now();
  readonly #onEnd: (timeline: Timeline) => void;
  readonly #phases: { -readonly [K in keyof Phases]: Phases[K] } = {};
  readonly #reads: ReadRecord[] = [];
  readonly #events: EventRecord[] = [];
  readonly #comments: number[] = [];
  #upstream: UpstreamView | undefined;
  readonly #stallWatch = watchStalls(() => this.now());
  #doneMs: number | undefined;
  #status: number | undefined;
  #headers: Record<string, string> = {};
  #bodyHead = '';
  #keepHead = false;
  #readOpen = false;
  #decoder: Transform | undefined;
  /** How the body ended, kept until the decompressor has handed over its last events. */
  #bodyEnd: { kind: EndKind; t: number; error?: unknown } | undefined;
  #settled = false;
  protocol: 'http/1.1' | 'h2' | undefined;
  certificate: CertificateSummary | undefined;
  tlsIssuer: string | undefined;
  forwardProxy: ForwardProxy | undefined;

  constructor(target: RecordingTarget, onEnd: (timeline: Timeline) => void) {
    this.#target = target;
    this.#onEnd = onEnd;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Milliseconds since the capture began, to 0.01 ms. */
  now(): number {
    return Math.round((performance.now() - this.#t0) * 100) / 100;
  }

  /** A milestone, kept the first time only. */
  mark(phase: keyof Phases): void {
    this.#phases[phase] ??= this.now();
  }

  /** Status and headers arrived; the body follows through body() and bodyEnd(). */
  response(status: number, headers: IncomingHttpHeaders): void {
    this.mark('headersMs');
    this.#status = status;
    this.#headers = flatHeaders(headers);
    const isEventStream = (this.#headers['content-type'] ?? '')
      .toLowerCase()
      .startsWith('text/event-stream');
    this.#keepHead = !isEventStream || status >= 300;

    const parser = new SseParser((event) => {
      if (this.#settled) return;
      const t = this.now();
      if (event.data === undefined) {
        if (this.#comments.length < MAX_RECORDED) this.#comments.push(t);
        // The last one is Sluice's: it ends the stream with it. One before it came from further
        // up — a relay may write anything — and is not Sluice's word.
        for (const comment of event.comments)
          this.#upstream = parseUpstreamComment(comment) ?? this.#upstream;
      } else if (event.data === '[DONE]') this.#doneMs ??= t;
      else if (this.#events.length < MAX_RECORDED) {
        const read = this.#reads.length - 1;
        this.#events.push(eventRecord(event, t, read, this.#events.length, this.#target.mode));
        if (endsAnswer(this.#target.api, event)) this.#doneMs ??= t;
      }
    });
    const decoder = decoderFor(this.#headers['content-encoding']);
    this.#decoder = decoder;
    decoder.on('data', (chunk: Buffer) => {
      if (this.#keepHead && this.#bodyHead.length < BODY_HEAD_BYTES) {
        const text = chunk.toString('utf8', 0, Math.min(chunk.length, BODY_HEAD_BYTES));
        this.#bodyHead = (this.#bodyHead + text).slice(0, BODY_HEAD_BYTES);
      }
      if (isEventStream) parser.push(chunk);
    });
    decoder.once('error', (error) => {
      this.finish('reset', this.#bodyEnd?.t ?? this.now(), this.#bodyEnd?.error ?? error);
    });
    decoder.once('end', () => {
      const end = this.#bodyEnd;
      const kind = end?.kind === 'reset' ? 'reset' : this.#doneMs === undefined ? 'eof' : 'done';
      this.finish(kind, end?.t ?? this.now(), end?.error);
    });
  }

  /** One piece of the body as it came off the connection. */
  body(chunk: Buffer): void {
    if (this.#settled) return;
    // One socket read can hold several HTTP chunks (or HTTP/2 DATA frames), each its own 'data'
    // call within the same turn: count them as one read, which is what a hop released at once.
    if (this.#readOpen) {
      const last = this.#reads.pop();
      if (last !== undefined) this.#reads.push({ ...last, bytes: last.bytes + chunk.length });
    } else if (this.#reads.length < MAX_RECORDED) {
      this.#readOpen = true;
      const t = this.now();
      const blindFromMs = this.#stallWatch.blindFrom(t);
      this.#reads.push({
        t,
        bytes: chunk.length,
        ...(blindFromMs === undefined ? {} : { blindFromMs }),
      });
      queueMicrotask(() => {
        this.#readOpen = false;
      });
    }
    this.#decoder?.write(chunk);
  }

  /** The body ended cleanly (`eof`) or broke (`reset`); the decoder's end then finishes. */
  bodyEnd(kind: 'eof' | 'reset', error?: unknown): void {
    if (this.#decoder === undefined) {
      // Ended before any response: nothing to drain.
      this.finish(this.#status === undefined ? 'unreachable' : kind, this.now(), error);
      return;
    }
    if (this.#bodyEnd !== undefined) return;
    this.#bodyEnd = { kind, t: this.now(), error };
    this.#decoder.end();
  }

  /** The request failed: before a response it was unreachable, after it the body broke. */
  fail(error: unknown): void {
    if (this.#decoder !== undefined) this.bodyEnd('reset', error);
    else this.finish(this.#status === undefined ? 'unreachable' : 'reset', this.now(), error);
  }

  finish(kind: EndKind, t: number, error?: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    const code =
      error instanceof CertificateError
        ? error.reason
        : (error as NodeJS.ErrnoException | undefined)?.code;
    const message = error instanceof Error ? error.message : undefined;
    const status = this.#status;
    const { probe, api } = this.#target;
    this.#stallWatch.stop();
    this.#onEnd({
      url: this.#target.url.href,
      mode: this.#target.mode,
      ...(api === undefined || api === 'chat' ? {} : { api }),
      ...(probe === undefined ? {} : { probe }),
      startedEpochMs: this.#startedEpochMs,
      ...(this.protocol === undefined ? {} : { protocol: this.protocol }),
      phases: { ...this.#phases },
      ...(status === undefined ? {} : { status }),
      headers: this.#headers,
      ...(this.tlsIssuer === undefined ? {} : { tlsIssuer: this.tlsIssuer }),
      ...(this.certificate === undefined ? {} : { certificate: this.certificate }),
      ...(this.forwardProxy === undefined ? {} : { forwardProxy: this.forwardProxy }),
      ...(this.#upstream === undefined ? {} : { upstream: this.#upstream }),
      reads: this.#reads,
      events: this.#events,
      comments: this.#comments,
      ...(this.#doneMs === undefined ? {} : { doneMs: this.#doneMs }),
      end: {
        kind,
        t,
        ...(code === undefined ? {} : { code }),
        ...(message === undefined ? {} : { message }),
      },
      ...(this.#keepHead && this.#bodyHead !== '' ? { bodyHead: this.#bodyHead } : {}),
    });
  }
}

/** Names in lower case, repeated ones joined; HTTP/2 pseudo-headers (`:status`) left out. */
function flatHeaders(raw: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || name.startsWith(':')) continue;
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
