/**
 * The two wire formats of `/api/chat`, each event flushed as one write: server-sent events
 * (`data: {json}` and a blank line; keepalives as comments) by default, or NDJSON — one JSON
 * object per line — for `Accept: application/x-ndjson`.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { EVENT_STREAM_HEADERS } from '../http/index.ts';
import { formatEvent, KEEPALIVE } from '../sse/index.ts';
import type { ChatEvent } from './events.ts';

export type { ChatEvent };

export interface Wire {
  readonly headers: Readonly<OutgoingHttpHeaders>;
  event(event: ChatEvent): string;
  readonly keepalive: string | Buffer;
}

const sse: Wire = {
  headers: EVENT_STREAM_HEADERS,
  event: (event) => formatEvent({ data: JSON.stringify(event) }),
  keepalive: KEEPALIVE,
};

const ndjson: Wire = {
  headers: {
    'content-type': 'application/x-ndjson; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  },
  event: (event) => `${JSON.stringify(event)}\n`,
  keepalive: `${JSON.stringify({ type: 'keepalive' })}\n`,
};

export function wireFor(req: IncomingMessage): Wire {
  return /\bapplication\/x-ndjson\b/.test(req.headers.accept ?? '') ? ndjson : sse;
}
