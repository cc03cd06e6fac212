/**
 * Request bodies: bounded in size, in time and in memory, JSON parsed once, with errors a
 * client can act on.
 */
import type { IncomingMessage } from 'node:http';
import { ClientClosedError, InvalidJsonError, PayloadTooLargeError } from '../errors/index.ts';
import { type BodyGuard, bodyGuardOf } from './body-guard.ts';

/**
 * Reads the whole body, refusing more than `limit` bytes (413) as soon as that is known. Within
 * the server's rules for the request (`guardBody`): the body's bytes are charged to the budget of
 * bodies in flight (503 when they do not fit; a declared length before a byte is read, a chunked
 * body as it comes), and a stall rejects with `RequestTimeoutError` (408).
 *
 * The body has memory of its own: it is kept for as long as its stream lasts, and a small
 * pooled Buffer (`Buffer.concat`) would hold its whole 64 KiB pool slab that long. With a
 * declared length it is allocated once and filled as chunks arrive, so it is never held twice.
 * Plain listeners, removed once the body is in: `for await` over the request left its
 * end-of-stream listeners, and through them its iterator, attached to the request for the
 * stream's length.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    rejectDeclaredOverLimit(req, limit);
    const guard = bodyGuardOf(req);
    if (guard?.stall !== undefined) throw guard.stall;
    if (req.readableEnded) {
      resolve(Buffer.alloc(0));
      return;
    }
    const declared = declaredLength(req);
    if (declared !== undefined) guard?.hold(declared);
    const whole = declared === undefined ? undefined : Buffer.allocUnsafeSlow(declared);
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error: Error | undefined) => {
      unregister?.();
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error !== undefined) reject(error);
      else resolve(whole?.subarray(0, size) ?? ownCopy(chunks, size));
    };
    // Read no further after a refusal; its response goes out with `Connection: close`.
    const refuse = (error: Error) => {
      req.pause();
      settle(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > (whole?.length ?? limit)) {
        refuse(new PayloadTooLargeError(limit));
      } else if (whole !== undefined) {
        chunk.copy(whole, size - chunk.length);
      } else {
        try {
          guard?.hold(chunk.length);
        } catch (error) {
          refuse(error as Error);
          return;
        }
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      settle(undefined);
    };
    // Node reports a client gone mid-body as an error ("aborted") first; `close` is for a
    // close without one. Either way nobody is left to answer: a 499, not a failure of ours.
    const onError = (error: Error) => {
      settle(new ClientClosedError(error));
    };
    const onClose = () => {
      settle(new ClientClosedError());
    };
    const unregister = guard?.reading(settle);
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

/**
 * The body as it arrives, for bodies relayed without reading them (uploads), still bounded.
 * It holds no more than a chunk, so it is not charged to the budget. Chunks are pulled one at
 * a time, so a consumer that waits (a slow upstream) pauses the client, which the body
 * watchdog does not count as a stall; a stall while it waits for a chunk throws
 * `RequestTimeoutError` (`for await` over the request could not be told to).
 */
export async function* limitedBody(req: IncomingMessage, limit: number): AsyncGenerator<Buffer> {
  rejectDeclaredOverLimit(req, limit);
  const guard = bodyGuardOf(req);
  let size = 0;
  for (;;) {
    const chunk = await nextChunk(req, guard);
    if (chunk === null) return;
    size += chunk.length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    yield chunk;
  }
}

/** The next chunk of `req`, or null at its end; pulling one at a time keeps backpressure. */
function nextChunk(req: IncomingMessage, guard: BodyGuard | undefined): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    if (guard?.stall !== undefined) throw guard.stall;
    if (req.readableEnded) {
      resolve(null);
      return;
    }
    const settle = (error: Error | undefined, chunk: Buffer | null = null) => {
      unregister?.();
      req.off('readable', onReadable).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error !== undefined) reject(error);
      else resolve(chunk);
    };
    const onReadable = () => {
      const chunk = req.read() as Buffer | null;
      if (chunk !== null) settle(undefined, chunk);
    };
    const onEnd = () => {
      settle(undefined);
    };
    const onError = (error: Error) => {
      settle(new ClientClosedError(error));
    };
    const onClose = () => {
      settle(new ClientClosedError());
    };
    const unregister = guard?.reading(settle);
    req.on('readable', onReadable).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

export function rejectDeclaredOverLimit(req: IncomingMessage, limit: number): void {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) throw new PayloadTooLargeError(limit);
}

/** `Content-Length`, when the request has one (Node's parser has checked it is a number). */
function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined || req.headers['transfer-encoding'] !== undefined) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/**
 * The deepest nesting a JSON body may have. No API request comes near it (OpenAI's structured
 * outputs allow 10 levels), and what reads a body — re-serialising it, translating it,
 * estimating its tokens — recurses, which Node's stack holds to a few thousand levels only: a
 * body nested deeper than that was a 500.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * Parses a JSON object body; anything else is a 400 that says what was wrong — a body nested
 * deeper than `MAX_JSON_DEPTH` too.
 */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let text: string;
  let value: unknown;
  try {
    text = body.toString('utf8');
    value = JSON.parse(text);
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
  const shape = shapeOf(value, MAX_JSON_DEPTH);
  if (shape === 'too deep') {
    throw new InvalidJsonError(
      `The JSON body of your request nests deeper than ${String(MAX_JSON_DEPTH)} levels.`,
    );
  }
  // Read again, the (slower) way that keeps them as written: rare.
  if (shape === 'inexact numbers') value = JSON.parse(text, keepInexactNumbers);
  return value as Record<string, unknown>;
}

const { rawJSON } = JSON as unknown as { rawJSON: (text: string) => unknown };

/**
 * An integer beyond 2^53 — a 64-bit `seed`, say — and a number beyond a double's range (`1e309`)
 * are kept as written. Sluice writes every JSON body again before it goes upstream, and a double
 * would send the first rounded (18446744073709551615 as 18446744073709552000) and the second as
 * `null` (JSON has no Infinity): the provider, reading the body itself, would see another
 * request — a `null` it may take as "not set" where the client sent a value it would refuse.
 * Only bodies that hold such a number are parsed this (slower) way.
 */
function keepInexactNumbers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  if (source === undefined) return value;
  return !Number.isFinite(value) || /^-?\d+$/.test(source) ? rawJSON(source) : value;
}

/**
 * Whether objects and arrays nest more than `max` deep, or a number is one a double does not
 * hold as written (an integer beyond 2^53, or beyond a double's range); one walk for both, a
 * loop, so the check cannot overflow.
 */
function shapeOf(value: object, max: number): 'too deep' | 'inexact numbers' | 'plain' {
  let inexact = false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
    const depth = depths.pop() ?? 1;
    if (depth > max) return 'too deep';
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        nodes.push(child);
        depths.push(depth + 1);
      } else if (
        typeof child === 'number' &&
        !Number.isSafeInteger(child) &&
        (Number.isInteger(child) || !Number.isFinite(child))
      )
        inexact = true;
    }
  }
  return inexact ? 'inexact numbers' : 'plain';
}
