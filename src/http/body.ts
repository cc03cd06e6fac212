/** Request bodies: bounded in size, JSON parsed once, with errors a client can act on. */
import type { IncomingMessage } from 'node:http';
import { InvalidJsonError, PayloadTooLargeError } from '../errors/index.ts';

/**
 * Reads the whole body, refusing more than `limit` bytes (413) as soon as that is known. The
 * copy has memory of its own: a body is kept for as long as its stream lasts, and a small
 * pooled Buffer (`Buffer.concat`) would hold its whole 64 KiB pool slab that long. Plain
 * listeners, removed once the body is in: `for await` over the request left its end-of-stream
 * listeners, and through them its iterator, attached to the request for the stream's length.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    rejectDeclaredOverLimit(req, limit);
    if (req.readableEnded) {
      resolve(Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error: Error | undefined) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error !== undefined) reject(error);
      else resolve(ownCopy(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // Read no further; the 413 goes out with `Connection: close`.
      req.pause();
      settle(new PayloadTooLargeError(limit));
    };
    const onEnd = () => {
      settle(undefined);
    };
    const onError = (error: Error) => {
      settle(error);
    };
    // Node reports a client gone mid-body as an error first; this is for a close without one.
    const onClose = () => {
      settle(new Error('the client closed the connection before its request body was complete'));
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function ownCopy(chunks: readonly Buffer[], size: number): Buffer {
  const body = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const chunk of chunks) at += chunk.copy(body, at);
  return body;
}

/** `text` as UTF-8 in memory of its own, for a Buffer kept long (see `readBody`). */
export function ownUtf8(text: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

/** The body as it arrives, for bodies relayed without reading them (uploads), still bounded. */
export async function* limitedBody(req: IncomingMessage, limit: number): AsyncGenerator<Buffer> {
  rejectDeclaredOverLimit(req, limit);
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    yield chunk;
  }
}

export function rejectDeclaredOverLimit(req: IncomingMessage, limit: number): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
}

/** Parses a JSON object body; anything else is a 400 that says what was wrong. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new InvalidJsonError(
      `We could not parse the JSON body of your request (${(error as Error).message}). ` +
        'The body must be a JSON object, e.g. {"model": "…", "messages": […]}.',
      { cause: error },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidJsonError('The JSON body of your request must be an object.');
  }
  return value as Record<string, unknown>;
}
