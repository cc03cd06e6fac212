/**
 * Reading a `/v1` request: which endpoint, which model, streamed or not, and the body to send
 * upstream — JSON read once (bounded) and, for Chat Completions streams, amended to ask for
 * usage; anything else (uploads) streamed through unread. The parsed JSON is not kept: a
 * request lives as long as its stream, and a long conversation parsed into objects costs a
 * few times its bytes; the body bytes (kept anyway, for the upstream) are read again in the
 * rare case a prompt estimate needs them.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { isJson, limitedBody, ownUtf8, parseJsonObject, readBody } from '../http/index.ts';
import { type Endpoint, endpointFor } from './endpoints.ts';

export interface ParsedRequest {
  readonly endpoint: Endpoint;
  /** The path without its query, for records. */
  readonly pathname: string;
  readonly body: Buffer | Readable | null;
  /** A buffered body can be sent again to the next upstream; a streamed one cannot. */
  readonly replayable: boolean;
  readonly model: string | undefined;
  readonly stream: boolean;
  /** Sluice asked the upstream for usage the client did not ask for: hide it again. */
  readonly hideUsage: boolean;
}

export async function parseRequest(
  req: IncomingMessage,
  path: string,
  maxBodyBytes: number,
): Promise<ParsedRequest> {
  const pathname = path.split('?')[0] ?? path;
  const endpoint = endpointFor(pathname, req.headers);
  const base = { endpoint, pathname, model: undefined, hideUsage: false };
  if (req.method === 'GET' || req.method === 'HEAD') {
    return { ...base, body: null, replayable: true, stream: /[?&]stream=true(?:&|$)/.test(path) };
  }
  if (!isJson(req.headers['content-type'])) {
    const body = Readable.from(limitedBody(req, maxBodyBytes), { objectMode: false });
    return { ...base, body, replayable: false, stream: false };
  }
  const raw = await readBody(req, maxBodyBytes);
  const json = parseJsonObject(raw);
  const hideUsage = endpoint.dialect.requestUsage(json);
  return {
    ...base,
    body: hideUsage ? ownUtf8(JSON.stringify(json)) : raw,
    replayable: true,
    model: typeof json.model === 'string' ? json.model : undefined,
    stream: json.stream === true,
    hideUsage,
  };
}
