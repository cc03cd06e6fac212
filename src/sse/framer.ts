/**
 * Splits a server-sent-event byte stream into complete events (WHATWG HTML §9.2.5: an event
 * ends at a blank line; lines end in CRLF, LF or CR). This is the relay's hot path, so it works
 * on bytes: no decoding, no per-event allocation, `indexOf` (memchr) when the stream has no CR.
 *
 * `push` returns the bytes that complete events — usually the chunk itself — and holds back the
 * unterminated tail of an event until its blank line arrives. A client cannot act on half an
 * event anyway, and holding it lets the relay interleave keepalive comments and in-band errors
 * between events without ever splicing them into one.
 */

export interface EventSink {
  /** One complete event block, blank line included: `buf[start, end)`. */
  onEvent(buf: Buffer, start: number, end: number): void;
}

const LF = 10;
const CR = 13;
const EMPTY = Buffer.alloc(0);

export class SseFramer {
  readonly #sink: EventSink;
  readonly #maxEventBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The byte before the next one ended a line, so a terminator now makes a blank line. */
  #atLineStart = true;
  /** The byte before the next one was CR, so an LF now belongs to the same terminator. */
  #afterCR = false;
  /** Ends (exclusive, relative to the current chunk) of events completed by the current chunk. */
  readonly #ends: number[] = [];
  #overflowed = false;
  /** Inside an event past the bound: its bytes pass through, unreported, until it ends. */
  #skipping = false;

  constructor(sink: EventSink, maxEventBytes = 32 * 1024 * 1024) {
    this.#sink = sink;
    this.#maxEventBytes = maxEventBytes;
  }

  /** Bytes of an event that has started but not ended. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * True once an event grew past `maxEventBytes`. That event's bytes pass through as they come,
   * unreported (memory per stream stays bounded whatever the upstream sends), and framing
   * resumes after its blank line: the events after it, a stream's usage and its end, are read.
   */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  push(chunk: Buffer): Buffer {
    const ends = this.#ends;
    ends.length = 0;
    if (!this.#afterCR && chunk.indexOf(CR) === -1) this.#scanLf(chunk);
    else this.#scanAny(chunk);

    // Where this chunk's first reported event starts: past the rest of an event too large.
    let from = 0;
    if (this.#skipping) {
      const end = ends.shift();
      if (end === undefined) return chunk;
      this.#skipping = false;
      from = end;
    }
    if (ends.length === 0) {
      if (from === 0) return this.#hold(chunk);
      return this.#hold(chunk.subarray(from)).length === 0 ? chunk.subarray(0, from) : chunk;
    }
    const last = ends[ends.length - 1] ?? 0;
    const offset = this.#pendingBytes;
    const out =
      offset > 0
        ? Buffer.concat([...this.#pending, chunk.subarray(0, last)], offset + last)
        : last === chunk.length
          ? chunk
          : chunk.subarray(0, last);
    if (this.#pending.length > 0) this.#pending = []; // the common case holds nothing: keep it
    this.#pendingBytes = 0;
    let start = from;
    for (const end of ends) {
      this.#sink.onEvent(out, start, end + offset);
      start = end + offset;
    }
    if (last < chunk.length) {
      // The tail starts the next event; past the bound already, it passes through too.
      const passed = this.#hold(chunk.subarray(last));
      if (passed.length > 0) return offset > 0 ? Buffer.concat([out, passed]) : chunk;
    }
    return out;
  }

  /** At end of stream: the bytes of an unterminated event (cleared), or an empty buffer. */
  takePending(): Buffer {
    const rest = this.#pendingBytes > 0 ? Buffer.concat(this.#pending, this.#pendingBytes) : EMPTY;
    this.#pending = [];
    this.#pendingBytes = 0;
    return rest;
  }

  #hold(tail: Buffer): Buffer {
    this.#pending.push(tail);
    this.#pendingBytes += tail.length;
    if (this.#pendingBytes <= this.#maxEventBytes) return EMPTY;
    this.#overflowed = true;
    this.#skipping = true;
    return this.takePending();
  }

  /** Fast path: only LF line ends. A blank line is an LF right after another LF. */
  #scanLf(chunk: Buffer): void {
    let previous = this.#atLineStart ? -1 : -2;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      if (i === previous + 1) this.#ends.push(i + 1);
      previous = i;
    }
    if (chunk.length > 0) this.#atLineStart = previous === chunk.length - 1;
  }

  /** General path: CRLF, LF and CR line ends, a CRLF possibly split across chunks. */
  #scanAny(chunk: Buffer): void {
    let atLineStart = this.#atLineStart;
    let afterCR = this.#afterCR;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === LF && afterCR) {
        afterCR = false; // second half of a CRLF: the line already ended at the CR
        continue;
      }
      if (byte !== LF && byte !== CR) {
        atLineStart = false;
        afterCR = false;
        continue;
      }
      afterCR = byte === CR;
      if (!atLineStart) {
        atLineStart = true;
        continue;
      }
      // A blank line: the event ends here, with the LF of a CRLF if it is in this chunk.
      if (afterCR && chunk[i + 1] === LF) {
        i++;
        afterCR = false;
      }
      this.#ends.push(i + 1);
    }
    this.#atLineStart = atLineStart;
    this.#afterCR = afterCR;
  }
}
