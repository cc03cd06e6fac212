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
  #pending: Buffer = Buffer.alloc(0);

  /** The messages `chunk` completes, in order; throws on a corrupt stream. */
  push(chunk: Buffer): EventMessage[] {
    let buffer = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const messages: EventMessage[] = [];
    while (buffer.length >= PRELUDE) {
      const total = buffer.readUInt32BE(0);
      const headersLength = buffer.readUInt32BE(4);
      if (crc32(buffer.subarray(0, 8)) !== buffer.readUInt32BE(8))
        throw new Error('event stream prelude checksum mismatch');
      if (total < PRELUDE + TRAILER + headersLength || total > MAX_MESSAGE)
        throw new Error(`event stream message of impossible length ${total}`);
      if (buffer.length < total) break;
      if (crc32(buffer.subarray(0, total - TRAILER)) !== buffer.readUInt32BE(total - TRAILER))
        throw new Error('event stream message checksum mismatch');
      const headers = readHeaders(buffer.subarray(PRELUDE, PRELUDE + headersLength));
      const payload = Buffer.from(buffer.subarray(PRELUDE + headersLength, total - TRAILER));
      messages.push({ headers, payload });
      buffer = buffer.subarray(total);
    }
    this.#pending = Buffer.from(buffer);
    return messages;
  }

  /** Bytes of a message not yet complete: at the end of a stream, a cut. */
  get pending(): number {
    return this.#pending.length;
  }
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
