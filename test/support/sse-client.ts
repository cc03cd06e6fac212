/** A plain streaming client for tests that look at the bytes: fetch plus Sluice's own SSE parser. */
import { SseParser, type SseEvent } from '../../src/sse/index.ts';
import { ADMIN_KEY } from './sluice.ts';

export interface StreamResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Events and comment-only blocks (keepalives), in arrival order. */
  readonly events: AsyncIterable<SseEvent>;
  /** Everything received so far, as text. */
  raw(): string;
  /** Reads to the end; resolves to every event. */
  all(): Promise<SseEvent[]>;
  abort(): void;
}

export async function postStream(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<StreamResponse> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ADMIN_KEY}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  let raw = '';
  const decoder = new TextDecoder();
  const queue: SseEvent[] = [];
  const parser = new SseParser((event) => queue.push(event));
  const reader = response.body?.getReader();

  async function* events(): AsyncGenerator<SseEvent> {
    if (reader === undefined) return;
    for (;;) {
      while (queue.length > 0) yield queue.shift() as SseEvent;
      const { done, value } = await reader.read();
      if (done) return;
      raw += decoder.decode(value, { stream: true });
      parser.push(value);
    }
  }
  const iterator = events();
  return {
    status: response.status,
    headers: response.headers,
    events: { [Symbol.asyncIterator]: () => iterator },
    raw: () => raw,
    async all() {
      const all: SseEvent[] = [];
      for await (const event of iterator) all.push(event);
      return all;
    },
    abort: () => {
      controller.abort();
    },
  };
}

/** Data events only (keepalive comments dropped). */
export function dataOf(events: readonly SseEvent[]): string[] {
  return events.flatMap((e) => (e.data === undefined ? [] : [e.data]));
}
