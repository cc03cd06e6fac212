/**
 * `POST /api/chat` as the page reads it: every `read()` of the response body becomes one batch,
 * stamped with its arrival time, so the health meter sees exactly how the bytes reached the
 * browser (one token per read when the chain streams; dozens per read when a hop buffered).
 * Stopping is aborting the fetch: the server keeps the partial answer, marked stopped.
 */
import { type ApiClient, errorOf } from './client.ts';
import { ChatEventParser } from './sse-reader.ts';
import type { ChatEvent } from './types.ts';

export type ChatRequest =
  | { readonly conversationId?: string; readonly model: string; readonly message: string }
  | { readonly conversationId: string; readonly model: string; readonly regenerate: true };

export interface ReadBatch {
  /** `performance.now()` when this read resolved. */
  readonly at: number;
  readonly events: readonly ChatEvent[];
}

/**
 * Sends the request and calls `onBatch` per read until the stream ends. Throws `ApiError` for a
 * refusal before the stream (a limit, an unknown model), and the abort error when stopped.
 */
export async function streamChat(
  api: ApiClient,
  request: ChatRequest,
  signal: AbortSignal,
  onBatch: (batch: ReadBatch) => void,
): Promise<void> {
  const response = await api.fetch('/api/chat', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(request),
    signal,
  });
  if (!response.ok) throw await errorOf(response);
  if (response.body === null) throw new Error('The chat response has no body.');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new ChatEventParser();
  for (;;) {
    const { done, value } = await reader.read();
    const at = performance.now();
    if (done) break;
    onBatch({ at, events: parser.push(decoder.decode(value, { stream: true })) });
  }
}
