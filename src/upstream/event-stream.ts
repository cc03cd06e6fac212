/**
 * Amazon's binary event stream (`application/vnd.amazon.eventstream`), as Bedrock streams an
 * answer: messages of a prelude (total and headers length, CRC32), typed headers, a payload and
 * a CRC32 of the whole. `EventStreamDecoder` takes the bytes as they come off the connection,
 * however they are cut, and hands out whole messages; a message that fails its checksum is a
 * broken stream, not something to guess at.
 */
import { crc32 } from 'node:zlib';

export interface EventMessage {
  /** String-valued headers (`:event-type`, `:message-type`, …); others are skipped. */
  readonly headers: ReadonlyMap<string, string>;
  readonly payload: Buffer;
}

const PRELUDE = 12;
const TRAILER = 4;
/** Bedrock's chunks are small; a length past this is a broken stream, not a buffer to grow. */
const MAX_MESSAGE = 16 * 1024 * 1024;

/** Bytes a header value of each type takes after its type byte; strings and bytes say theirs. */
const FIXED: Readonly<Record<number, number>> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 };

export class EventStreamDecoder {
  /**
   * Bytes not yet a whole message, at `#start`–`#end` of a buffer that grows by doubling: each
   * byte is copied a bounded number of times. (Joining what was pending to every chunk made a
   * 16 MiB message in small reads cost a minute of CPU: quadratic.)
   */
  #buffer: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;

  /** The messages `chunk` completes, in order; throws on a corrupt stream. */
  push(chunk: Buffer): EventMessage[] {
    const messages: EventMessage[] = [];
    // Nothing pending (the usual case): read straight from the chunk, keep only its tail.
    const rest = this.#end === this.#start ? chunk.subarray(readMessages(chunk, messages)) : chunk;
    if (rest.length === 0) return messages;
    this.#append(rest);
    if (rest === chunk) {
      this.#start += readMessages(this.#buffer.subarray(this.#start, this.#end), messages);
      if (this.#start === this.#end) this.#clear();
    }
    return messages;
  }

  /** Bytes of a message not yet complete: at the end of a stream, a cut. */
  get pending(): number {
    return this.#end - this.#start;
  }

  #append(bytes: Buffer): void {
    const size = this.#end - this.#start;
    if (this.#end + bytes.length > this.#buffer.length) {
      const grown = Buffer.allocUnsafeSlow(
        Math.max(size + bytes.length, 2 * this.#buffer.length, 4096),
      );
      this.#buffer.copy(grown, 0, this.#start, this.#end);
      this.#buffer = grown;
      this.#start = 0;
      this.#end = size;
    }
    bytes.copy(this.#buffer, this.#end);
    this.#end += bytes.length;
  }

  #clear(): void {
    this.#buffer = Buffer.alloc(0);
    this.#start = 0;
    this.#end = 0;
  }
}

/** Whole messages at the start of `buffer` into `messages`; how many bytes they took. */
function readMessages(buffer: Buffer, messages: EventMessage[]): number {
  let at = 0;
  while (buffer.length - at >= PRELUDE) {
    const total = buffer.readUInt32BE(at);
    const headersLength = buffer.readUInt32BE(at + 4);
    if (crc32(buffer.subarray(at, at + 8)) !== buffer.readUInt32BE(at + 8))
      throw new Error('event stream prelude checksum mismatch');
    if (total < PRELUDE + TRAILER + headersLength || total > MAX_MESSAGE)
      throw new Error(`event stream message of impossible length ${total}`);
    if (buffer.length - at < total) break;
    const message = buffer.subarray(at, at + total);
    if (crc32(message.subarray(0, total - TRAILER)) !== message.readUInt32BE(total - TRAILER))
      throw new Error('event stream message checksum mismatch');
    const headers = readHeaders(message.subarray(PRELUDE, PRELUDE + headersLength));
    const payload = Buffer.from(message.subarray(PRELUDE + headersLength, total - TRAILER));
    messages.push({ headers, payload });
    at += total;
  }
  return at;
}

function readHeaders(bytes: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  let at = 0;
  while (at < bytes.length) {
    const nameLength = bytes.readUInt8(at);
    const name = bytes.toString('utf8', at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    const type = bytes.readUInt8(at);
    at += 1;
    const fixed = FIXED[type];
    if (fixed !== undefined) {
      at += fixed;
    } else if (type === 6 || type === 7) {
      const length = bytes.readUInt16BE(at);
      if (type === 7) headers.set(name, bytes.toString('utf8', at + 2, at + 2 + length));
      at += 2 + length;
    } else {
      throw new Error(`event stream header ${name} of unknown type ${type}`);
    }
  }
  return headers;
}
