/** What every event stream Sluice sends looks like, and how a body's type is recognised. */
import type { OutgoingHttpHeaders } from 'node:http';

/** Invariant 2: an event stream that no hop may buffer, cache or compress. */
export const EVENT_STREAM_HEADERS: Readonly<OutgoingHttpHeaders> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

export function isEventStream(contentType: string | string[] | undefined): boolean {
  return (
    typeof contentType === 'string' && contentType.toLowerCase().startsWith('text/event-stream')
  );
}

export function isJson(contentType: string | string[] | undefined): boolean {
  return (
    typeof contentType === 'string' && /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)
  );
}
