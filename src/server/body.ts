/** Request bodies: bounded in size, JSON parsed once, with errors a client can act on. */
import type { IncomingMessage } from 'node:http';
import { BadRequestError, PayloadTooLargeError } from '../errors/index.ts';

/** Reads the whole body, refusing more than `limit` bytes (413) as soon as that is known. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  rejectDeclaredOverLimit(req, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
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
    throw new BadRequestError(
      'invalid_json',
      `We could not parse the JSON body of your request (${(error as Error).message}). ` +
        'The body must be a JSON object, e.g. {"model": "…", "messages": […]}.',
      { cause: error },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError('invalid_json', 'The JSON body of your request must be an object.');
  }
  return value as Record<string, unknown>;
}
