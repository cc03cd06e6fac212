/** Recorded provider streams, sent the way the provider would for a given request. */
import { readFileSync } from 'node:fs';
import { formatEvent } from '../../src/sse/index.ts';
import { type Script, sseHead, writeEvents } from './fake-upstream.ts';

const fixtureDir = new URL('../fixtures/provider-streams/', import.meta.url);

export function fixturePayloads(fixture: string): Record<string, unknown>[] {
  return readFileSync(new URL(fixture, fixtureDir), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * A recorded Chat Completions stream (recorded with `include_usage`) as OpenAI sends it for
 * this request: without `stream_options.include_usage` there is no usage chunk and no
 * `"usage": null` on the others.
 */
export function chatChunksFor(fixture: string, includeUsage: boolean): Record<string, unknown>[] {
  const chunks = fixturePayloads(fixture);
  if (includeUsage) return chunks;
  return chunks
    .filter((c) => Array.isArray(c.choices) && c.choices.length > 0)
    .map(({ usage: _usage, ...rest }) => rest);
}

/** What a delta field (the text, by default) of the first choice adds up to over the chunks. */
export function chatText(
  chunks: readonly Record<string, unknown>[],
  field: 'content' | 'reasoning_content' = 'content',
): string {
  return chunks
    .map((c) => {
      const value = (c.choices as { delta?: Record<string, unknown> }[] | undefined)?.[0]?.delta?.[
        field
      ];
      return typeof value === 'string' ? value : '';
    })
    .join('');
}

/** The text of a recorded Anthropic Messages stream: its `content_block_delta`s' text. */
export function messagesText(fixture: string): string {
  return fixturePayloads(fixture)
    .filter((p) => p.type === 'content_block_delta')
    .map((p) => (p.delta as { text?: string }).text ?? '')
    .join('');
}

/** A whole Anthropic Messages answer of one text block, as the API returns it. */
export function claudeMessage(
  text: string,
  usage: { input_tokens: number; output_tokens: number },
): Record<string, unknown> {
  return {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5',
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage,
  };
}

/** Behaves like OpenAI's chat endpoint would, given the recorded stream. */
export function chatStream(fixture: string): Script {
  return async ({ res, json }) => {
    const options = json?.stream_options as { include_usage?: boolean } | undefined;
    const chunks = chatChunksFor(fixture, options?.include_usage === true);
    sseHead(res);
    await writeEvents(res, [
      ...chunks.map((c) => formatEvent({ data: JSON.stringify(c) })),
      formatEvent({ data: '[DONE]' }),
    ]);
    res.end();
  };
}

/** Named events (Responses, Anthropic): the SSE event name is the payload's `type`. */
export function namedStream(fixture: string): Script {
  return async ({ res }) => {
    sseHead(res);
    await writeEvents(
      res,
      fixturePayloads(fixture).map((p) =>
        formatEvent({ event: String(p.type), data: JSON.stringify(p) }),
      ),
    );
    res.end();
  };
}
