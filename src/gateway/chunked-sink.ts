/**
 * The body of a relayed response, written straight to the client's socket. ServerResponse's
 * `write` turns every chunk into four socket writes (size line, CRLF, data, CRLF) corked until
 * the next tick; on a stream of small events that machinery cost more than the relay itself.
 * Here each chunk is framed once (HTTP/1.1 chunked encoding, RFC 9112 §7.1) and written once.
 * Headers stay ServerResponse's (sent before the first write) and so does the end: `res.end()`
 * writes the last chunk.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const CRLF = 0x0d0a;

export class ChunkedSink {
  readonly #socket: Socket | null;
  readonly #chunked: boolean;
  readonly #hasBody: boolean;

  /** For a response whose headers have been sent. */
  constructor(res: ServerResponse) {
    this.#socket = res.socket;
    this.#chunked = res.chunkedEncoding;
    const status = res.statusCode;
    this.#hasBody = res.req.method !== 'HEAD' && status !== 204 && status !== 304 && status >= 200;
  }

  /** Returns false when the socket is full: wait for `drain`. */
  write(data: Buffer | string): boolean {
    const socket = this.#socket;
    if (socket === null || socket.destroyed || !this.#hasBody) return true;
    const body = typeof data === 'string' ? Buffer.from(data) : data;
    if (body.length === 0) return true;
    if (!this.#chunked) return socket.write(body); // HTTP/1.0, or a Content-Length response
    const size = body.length.toString(16);
    const frame = Buffer.allocUnsafe(size.length + 4 + body.length);
    frame.write(size, 0, 'latin1');
    frame.writeUInt16BE(CRLF, size.length);
    body.copy(frame, size.length + 2);
    frame.writeUInt16BE(CRLF, frame.length - 2);
    return socket.write(frame);
  }

  get buffered(): number {
    return this.#socket?.writableLength ?? 0;
  }

  get full(): boolean {
    return this.#socket?.writableNeedDrain ?? false;
  }

  onDrain(listener: () => void): void {
    this.#socket?.on('drain', listener);
  }

  offDrain(listener: () => void): void {
    this.#socket?.off('drain', listener);
  }
}
