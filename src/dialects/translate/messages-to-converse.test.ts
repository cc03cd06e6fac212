import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEvent } from '../../sse/index.ts';
import { ConverseStreamToMessages } from './converse-stream-to-messages.ts';
import { converseResponseToMessages, messagesRequestToConverse } from './messages-to-converse.ts';

describe('messagesRequestToConverse', () => {
  it('carries images as bytes, tool use and results, reasoning, choices and extras', () => {
    const out = messagesRequestToConverse({
      model: 'm',
      stream: true,
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END'],
      system: [
        { type: 'text', text: 'a' },
        { type: 'text', text: 'b' },
      ],
      tools: [{ name: 't', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 't' },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look', cache_control: { type: 'ephemeral' } },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBO' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hm', signature: 'sig' },
            { type: 'tool_use', id: 'tu1', name: 't', input: { a: 1 } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'tu1', content: 'done', is_error: true }],
        },
      ],
    });
    assert.deepEqual(out, {
      messages: [
        {
          role: 'user',
          content: [{ text: 'look' }, { image: { format: 'png', source: { bytes: 'iVBO' } } }],
        },
        {
          role: 'assistant',
          content: [
            { reasoningContent: { reasoningText: { text: 'hm', signature: 'sig' } } },
            { toolUse: { toolUseId: 'tu1', name: 't', input: { a: 1 } } },
          ],
        },
        {
          role: 'user',
          content: [
            { toolResult: { toolUseId: 'tu1', content: [{ text: 'done' }], status: 'error' } },
          ],
        },
      ],
      system: [{ text: 'a' }, { text: 'b' }],
      inferenceConfig: { maxTokens: 100, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
      additionalModelRequestFields: { top_k: 40 },
      toolConfig: {
        tools: [{ toolSpec: { name: 't', inputSchema: { json: { type: 'object' } } } }],
        toolChoice: { tool: { name: 't' } },
      },
    });
  });

  it('tool_choice none sends no tools: Converse has no way to forbid them otherwise', () => {
    const out = messagesRequestToConverse({
      messages: [],
      tools: [{ name: 't', input_schema: {} }],
      tool_choice: { type: 'none' },
    });
    assert.equal(out.toolConfig, undefined);
  });

  it('refuses what Converse cannot carry, naming the field', () => {
    const refused = (body: Record<string, unknown>, pattern: RegExp) => {
      assert.throws(() => messagesRequestToConverse({ messages: [], ...body }), pattern);
    };
    const user = (block: object) => ({ messages: [{ role: 'user', content: [block] }] });
    refused(user({ type: 'document', source: {} }), /messages\[0\]\.content\[0\]\.type/);
    refused(
      user({ type: 'image', source: { type: 'base64', media_type: 'image/tiff', data: '' } }),
      /png, jpeg, gif or webp/,
    );
    refused({ tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, /tools\[0\]\.type/);
    refused({ container: 'c' }, /container cannot be translated/);
    refused({ messages: [{ role: 'system', content: 'x' }] }, /messages\[0\]\.role/);
    refused({ messages: 'hi' }, /messages must be an array/);
  });
});

describe('converseResponseToMessages', () => {
  it('text, tool use and reasoning; stop reason and usage in Anthropic’s words', () => {
    const out = converseResponseToMessages(
      {
        output: {
          message: {
            role: 'assistant',
            content: [
              { reasoningContent: { reasoningText: { text: 'why', signature: 's' } } },
              { text: 'Hi' },
              { toolUse: { toolUseId: 'x', name: 'f', input: { q: 1 } } },
            ],
          },
        },
        stopReason: 'guardrail_intervened',
        usage: { inputTokens: 5, outputTokens: 2, cacheReadInputTokens: 3 },
      },
      'meta.llama',
      'msg_1',
    );
    assert.deepEqual(out, {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'meta.llama',
      content: [
        { type: 'thinking', thinking: 'why', signature: 's' },
        { type: 'text', text: 'Hi' },
        { type: 'tool_use', id: 'x', name: 'f', input: { q: 1 } },
      ],
      stop_reason: 'refusal',
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 2, cache_read_input_tokens: 3 },
    });
  });
});

describe('ConverseStreamToMessages', () => {
  const events = (text: string) =>
    text
      .split('\n\n')
      .filter((b) => b !== '')
      .map((b) => {
        const e = parseEvent(Buffer.from(b));
        return { event: e.event, data: JSON.parse(e.data ?? '') as Record<string, unknown> };
      });

  it('opens reasoning and text blocks at their first delta, and ends without metadata too', () => {
    const t = new ConverseStreamToMessages('deepseek.r1', 'msg_x');
    let out = t.event('messageStart', { role: 'assistant' });
    out += t.event('contentBlockDelta', {
      contentBlockIndex: 0,
      delta: { reasoningContent: { text: 'think' } },
    });
    out += t.event('contentBlockDelta', {
      contentBlockIndex: 0,
      delta: { reasoningContent: { signature: 'sig' } },
    });
    out += t.event('contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'ok' } });
    out += t.event('contentBlockStop', { contentBlockIndex: 7 }); // never opened: nothing
    out += t.event('messageStop', { stopReason: 'max_tokens' });
    out += t.end();
    out += t.event('contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'late' } });
    const seen = events(out);
    assert.deepEqual(
      seen.map((e) => e.event),
      [
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_delta',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    );
    assert.deepEqual(seen[1]?.data['content_block'], {
      type: 'thinking',
      thinking: '',
      signature: '',
    });
    assert.deepEqual(seen[3]?.data['delta'], { type: 'signature_delta', signature: 'sig' });
    assert.deepEqual(seen[8]?.data['delta'], { stop_reason: 'max_tokens', stop_sequence: null });
    assert.equal(t.end(), '', 'said once');
  });

  it('numbers blocks by their place in the message, whatever Converse numbers them; counts read whole', () => {
    // Converse's own index, copied (1e9, -1, 0.5), left the SDK's message with empty blocks.
    const t = new ConverseStreamToMessages('meta.llama', 'msg_x');
    let out = t.event('messageStart', { role: 'assistant' });
    for (const [index, text] of [
      [1e9, 'a'],
      [-1, 'b'],
      [0.5, 'c'],
      [1e9, 'd'],
    ] as const)
      out += t.event('contentBlockDelta', { contentBlockIndex: index, delta: { text } });
    out += t.event('messageStop', { stopReason: 'end_turn' });
    out += t.event('metadata', { usage: { inputTokens: -1, outputTokens: 2.6 } });
    const seen = events(out);
    const deltas = seen.filter((e) => e.event === 'content_block_delta');
    assert.deepEqual(
      deltas.map((e) => [e.data.index, (e.data.delta as { text: string }).text]),
      [
        [0, 'a'],
        [1, 'b'],
        [2, 'c'],
        [0, 'd'],
      ],
    );
    const usage = seen.find((e) => e.event === 'message_delta')?.data.usage;
    assert.deepEqual(usage, { input_tokens: 0, output_tokens: 3 });
  });
});
