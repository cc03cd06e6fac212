import { type EventSink, SseFramer } from './framer.ts';
import { parseEvent, type SseEvent } from './fields.ts';

/**
 * A complete incremental SSE reader for code off the hot path (the doctor, tests, the chat
 * service): bytes in, parsed events out, per WHATWG HTML §9.2. An unterminated event at the end
 * of the stream is discarded, as the spec says.
 */
export class SseParser implements EventSink {
  readonly #framer = new SseFramer(this);
  readonly #onEvent: (event: SseEvent) => void;
  #first = true;

  constructor(onEvent: (event: SseEvent) => void) {
    this.#onEvent = onEvent;
  }

  push(chunk: Uint8Array): void {
    let buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#first && buf.length > 0) {
      this.#first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3); // one leading BOM
    }
    this.#framer.push(buf);
  }

  onEvent(buf: Buffer, start: number, end: number): void {
    this.#onEvent(parseEvent(buf, start, end));
  }
}
