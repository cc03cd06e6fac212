/**
 * The APIs the doctor's `--key` request can speak (`--api`): OpenAI's Chat Completions (the
 * default), Anthropic's Messages (what Claude Code and its relays speak) and OpenAI's Responses.
 * All three stream SSE and are judged alike, by their arrivals (`chat-timing.ts`); they differ in
 * the request, and in the event that says the answer is complete.
 */
import type { SseEvent } from '../sse/index.ts';

export type ChatApi = 'chat' | 'messages' | 'responses';

export const CHAT_APIS: readonly ChatApi[] = ['chat', 'messages', 'responses'];

const NAMES: Record<ChatApi, string> = {
  chat: 'Chat Completions',
  messages: 'Messages API',
  responses: 'Responses API',
};

/** What ends a complete answer: Chat's `[DONE]`; an event of the others. */
const END_MARKERS: Record<ChatApi, readonly string[]> = {
  chat: ['[DONE]'],
  messages: ['message_stop'],
  responses: ['response.completed', 'response.incomplete', 'response.failed'],
};

export function apiName(api: ChatApi): string {
  return NAMES[api];
}

/** How the report names the end of a complete answer (`[DONE]`, `message_stop`, …). */
export function endMarker(api: ChatApi | undefined): string {
  return END_MARKERS[api ?? 'chat'][0] ?? '[DONE]';
}

/**
 * Whether `event` (one with data; Chat's `[DONE]` is handled apart) ends the answer: by its
 * `event:` name, or its data's `type` where a hop dropped the names.
 */
export function endsAnswer(api: ChatApi | undefined, event: SseEvent): boolean {
  if (api === undefined || api === 'chat') return false;
  const markers = END_MARKERS[api];
  if (event.event !== undefined && event.event !== 'message') return markers.includes(event.event);
  const type = /^\{\s*"type"\s*:\s*"([^"]+)"/.exec(event.data ?? '')?.[1];
  return type !== undefined && markers.includes(type);
}
