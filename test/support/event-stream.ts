/** Amazon's binary event stream, written as Bedrock writes it, for fake upstreams. */
import { crc32 } from 'node:zlib';

const PRELUDE = 12;
const TRAILER = 4;

/** One message with string headers, its prelude and message checksums as Bedrock's. */
export function encodeEventMessage(headers: Record<string, string>, payload: Buffer): Buffer {
  const head = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name);
      const v = Buffer.from(value);
      const out = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
      out.writeUInt8(n.length, 0);
      n.copy(out, 1);
      out.writeUInt8(7, 1 + n.length);
      out.writeUInt16BE(v.length, 2 + n.length);
      v.copy(out, 4 + n.length);
      return out;
    }),
  );
  const total = PRELUDE + head.length + payload.length + TRAILER;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(head.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  head.copy(message, PRELUDE);
  payload.copy(message, PRELUDE + head.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - TRAILER)), total - TRAILER);
  return message;
}
