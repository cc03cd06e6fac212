/**
 * The fake provider behind the page's chats: it lists two models (one the demo) and answers
 * each chat completion with whatever reply the test set last, as Chat Completions chunks.
 */
import type { ServerResponse } from 'node:http';
import { formatEvent } from '../../../src/sse/index.ts';
import { type FakeUpstream, type Script, sseHead, type UpstreamCall } from '../fake-upstream.ts';

export const MODEL = 'gpt-test';
export const DEMO_MODEL = 'sluice-demo';

export function chunk(text: string): string {
  return formatEvent({
    data: JSON.stringify({
      id: 'chatcmpl-web',
      object: 'chat.completion.chunk',
      created: 1,
      model: MODEL,
      choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
    }),
  });
}

export const END =
  formatEvent({
    data: JSON.stringify({
      id: 'chatcmpl-web',
      object: 'chat.completion.chunk',
      created: 1,
      model: MODEL,
      choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
      usage: { prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 },
    }),
  }) + formatEvent({ data: '[DONE]' });

/** The answer to one chat request, after the event-stream head went out. */
export type Reply = (res: ServerResponse, call: UpstreamCall) => Promise<void>;

export interface ChatRoutes {
  /** How each chat request is answered from now on. */
  reply(next: Reply): void;
  /** The next chat request only is refused with this status and error, before any stream. */
  refuseNext(status: number, message: string): void;
}

export function routeChats(upstream: FakeUpstream): ChatRoutes {
  let refusal: { status: number; message: string } | undefined;
  let current: Reply = (res) => {
    res.end(chunk('(no reply scripted)') + END);
    return Promise.resolve();
  };
  const script: Script = async (call) => {
    if (call.path.endsWith('/models')) {
      call.res.writeHead(200, { 'content-type': 'application/json' });
      call.res.end(
        JSON.stringify({
          object: 'list',
          data: [
            { id: MODEL, object: 'model', created: 1, owned_by: 'openai' },
            { id: DEMO_MODEL, object: 'model', created: 1, owned_by: 'sluice-demo' },
          ],
        }),
      );
      return;
    }
    if (refusal !== undefined) {
      const { status, message } = refusal;
      refusal = undefined;
      call.res.writeHead(status, { 'content-type': 'application/json' });
      call.res.end(JSON.stringify({ error: { message, type: 'invalid_request_error' } }));
      return;
    }
    sseHead(call.res);
    await current(call.res, call);
  };
  upstream.script(script);
  return {
    reply(next) {
      current = next;
    },
    refuseNext(status, message) {
      refusal = { status, message };
    },
  };
}
