/** responsesRequestToChat: each mapping, and each refusal (a 400 naming the field). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidFieldError } from '../../errors/index.ts';
import { responsesRequestToChat } from './index.ts';

const translate = (extra: Record<string, unknown>) =>
  responsesRequestToChat({ model: 'm', input: 'Hi', ...extra });

describe('responsesRequestToChat: what maps', () => {
  it('text input, instructions first; developer and system turns are system messages', () => {
    assert.deepEqual(translate({ instructions: 'Be brief.' }).messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    const out = translate({
      input: [
        { role: 'developer', content: 'Rules.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Q' }] },
        { role: 'assistant', content: [{ type: 'output_text', text: 'A', annotations: [] }] },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { role: 'user', content: 'Again' },
      ],
    });
    assert.deepEqual(out.messages, [
      { role: 'system', content: 'Rules.' },
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'A' },
      { role: 'user', content: 'Again' },
    ]);
  });

  it('images by URL in a user turn, with their detail', () => {
    const out = translate({
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is it?' },
            { type: 'input_image', image_url: 'https://x/a.png', detail: 'low' },
          ],
        },
      ],
    });
    assert.deepEqual(out.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is it?' },
          { type: 'image_url', image_url: { url: 'https://x/a.png', detail: 'low' } },
        ],
      },
    ]);
  });

  it('consecutive calls share one assistant turn; outputs are tool messages', () => {
    const out = translate({
      input: [
        { role: 'user', content: 'Two cities?' },
        { type: 'function_call', call_id: 'c1', name: 'w', arguments: '{"c":"A"}' },
        { type: 'function_call', call_id: 'c2', name: 'w', arguments: '{"c":"B"}' },
        { type: 'function_call_output', call_id: 'c1', output: '1' },
        {
          type: 'function_call_output',
          call_id: 'c2',
          output: [{ type: 'input_text', text: '2' }],
        },
      ],
    });
    assert.deepEqual(out.messages, [
      { role: 'user', content: 'Two cities?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'w', arguments: '{"c":"A"}' } },
          { id: 'c2', type: 'function', function: { name: 'w', arguments: '{"c":"B"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: '1' },
      { role: 'tool', tool_call_id: 'c2', content: '2' },
    ]);
  });

  it('tools, choice, limits, format and effort; a stream asks for usage; stored-state settings go', () => {
    const out = translate({
      tools: [
        { type: 'function', name: 'w', description: 'Weather', parameters: {}, strict: true },
      ],
      tool_choice: { type: 'function', name: 'w' },
      parallel_tool_calls: false,
      max_output_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      text: {
        format: { type: 'json_schema', name: 's', schema: { type: 'object' }, strict: true },
      },
      reasoning: { effort: 'low', summary: 'auto' },
      stream: true,
      store: true,
      metadata: { a: '1' },
      include: ['reasoning.encrypted_content'],
      background: false,
    });
    assert.deepEqual(out, {
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      tools: [
        {
          type: 'function',
          function: { name: 'w', description: 'Weather', parameters: {}, strict: true },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'w' } },
      parallel_tool_calls: false,
      max_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 's', schema: { type: 'object' }, strict: true },
      },
      reasoning_effort: 'low',
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.deepEqual(translate({ text: { format: { type: 'json_object' } } }).response_format, {
      type: 'json_object',
    });
    assert.equal(translate({ text: { format: { type: 'text' } } }).response_format, undefined);
  });
});

describe('responsesRequestToChat: a count (input_tokens)', () => {
  it('is the prompt alone: instructions without input count, personality is dropped', () => {
    const count = { model: 'm', instructions: 'Be brief.', personality: 'friendly' };
    assert.deepEqual(responsesRequestToChat(count, 'count'), {
      model: 'm',
      messages: [{ role: 'system', content: 'Be brief.' }],
    });
    for (const [param, body] of [
      ['input', { model: 'm', instructions: 'Be brief.' }],
      ['personality', { model: 'm', input: 'Hi', personality: 'friendly' }],
    ] as const) {
      assert.throws(
        () => responsesRequestToChat(body),
        (error: unknown) => error instanceof InvalidFieldError && error.param === param,
        `an answer: ${param}`,
      );
    }
  });
});

describe('responsesRequestToChat: what is refused', () => {
  const refusals: [string, Record<string, unknown>][] = [
    ['previous_response_id', { previous_response_id: 'resp_1' }],
    ['conversation', { conversation: 'conv_1' }],
    ['background', { background: true }],
    ['prompt', { prompt: { id: 'pmpt_1' } }],
    ['made_up', { made_up: 1 }],
    ['constructor', { constructor: 1 }],
    ['tools[0].type', { tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }],
    ['tool_choice', { tool_choice: { type: 'web_search' } }],
    ['text.format.type', { text: { format: { type: 'grammar' } } }],
    ['input[0].type', { input: [{ type: 'item_reference', id: 'msg_1' }] }],
    ['input[0].role', { input: [{ role: 'tool', content: 'x' }] }],
    [
      'input[0].content[0].type',
      { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] },
    ],
    [
      'input[0].content[0].image_url',
      { input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] },
    ],
    [
      'input[0].content',
      {
        input: [
          { role: 'assistant', content: [{ type: 'input_image', image_url: 'https://x/a.png' }] },
        ],
      },
    ],
    ['input', { input: [{ role: 'system', content: 'only a system prompt' }] }],
    ['input', { input: 42 }],
  ];
  for (const [param, extra] of refusals) {
    it(`refuses ${param} with a 400 naming it`, () => {
      assert.throws(
        () => translate(extra),
        (error: unknown) =>
          error instanceof InvalidFieldError && error.status === 400 && error.param === param,
      );
    });
  }
});
