/**
 * The two wire formats of `/api/chat`, each event flushed as one write: server-sent events
 * (`data: {json}` and a blank line; keepalives as comments) by default, or NDJSON — one JSON
 * object per line — for `Accept: application/x-ndjson`.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { EVENT_STREAM_HEADERS } from '../gateway/index.ts';
import { formatEvent, KEEPALIVE } from '../sse/index.ts';

export type ChatEvent =
  | {
      readonly type: 'start';
      readonly conversation_id: string;
      readonly message_id: string;
      readonly model: string;
    }
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'reasoning'; readonly text: string }
  | {
      readonly type: 'done';
      readonly finish_reason: string | null;
      readonly usage: { readonly prompt_tokens: number; readonly completion_tokens: number } | null;
      readonly request_id: string | null;
    }
  | { readonly type: 'error'; readonly error: { readonly message: string; readonly code: string } };

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
