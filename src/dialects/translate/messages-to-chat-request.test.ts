/** messagesRequestToChat: each mapping, each refusal (a 400 naming the field), a round trip. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidFieldError } from '../../errors/index.ts';
import { chatRequestToMessages, messagesRequestToChat } from './index.ts';

const base = { model: 'gpt-x', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }] };
const translate = (extra: Record<string, unknown>) => messagesRequestToChat({ ...base, ...extra });

describe('messagesRequestToChat: what maps', () => {
  it('a plain request: model, messages, max_tokens as max_completion_tokens', () => {
    assert.deepEqual(messagesRequestToChat(base), {
      model: 'gpt-x',
      max_completion_tokens: 256,
      messages: [{ role: 'user', content: 'Hi' }],
    });
  });

  it('a count (count_tokens) is the prompt alone: no max_tokens asked for', () => {
    const { max_tokens: _, ...count } = base;
    assert.deepEqual(messagesRequestToChat(count, 'count'), {
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    assert.throws(
      () => messagesRequestToChat(count),
      (error: unknown) => error instanceof InvalidFieldError && error.param === 'max_tokens',
    );
  });

  it('streaming asks for usage, which the Anthropic client always gets', () => {
    const out = translate({ stream: true });
    assert.deepEqual([out.stream, out.stream_options], [true, { include_usage: true }]);
    assert.equal('stream' in translate({ stream: false }), false);
  });

  it('system: a string, or text blocks as text parts, first; system turns stay in place', () => {
    assert.deepEqual(translate({ system: 'Be brief.' }).messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    const out = translate({
      system: [
        { type: 'text', text: 'A', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'B' },
      ],
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'system', content: 'C' },
      ],
    });
    assert.deepEqual(out.messages, [
      {
        role: 'system',
        content: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B' },
        ],
      },
      { role: 'user', content: 'Hi' },
      { role: 'system', content: 'C' },
    ]);
  });

  it('images and PDFs: base64 as data: URLs, urls as they are', () => {
    const out = translate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' },
              title: 'a.pdf',
            },
            { type: 'text', text: 'Compare' },
          ],
        },
      ],
    });
    assert.deepEqual(out.messages, [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
          {
            type: 'file',
            file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBER' },
          },
          { type: 'text', text: 'Compare' },
        ],
      },
    ]);
  });

  it('tool_use becomes tool_calls; tool results become tool messages before the user text', () => {
    const out = translate({
      messages: [
        { role: 'user', content: 'Weather and time?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Two tools.', signature: 'sig' },
            { type: 'text', text: 'Looking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'time', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_2',
              content: [{ type: 'text', text: '9am' }],
              is_error: false,
            },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
    });
    assert.deepEqual(out.messages, [
      { role: 'user', content: 'Weather and time?' },
      {
        role: 'assistant',
        content: 'Looking.',
        tool_calls: [
          {
            id: 'toolu_1',
            type: 'function',
            function: { name: 'weather', arguments: '{"city":"Paris"}' },
          },
          { id: 'toolu_2', type: 'function', function: { name: 'time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'Sunny' },
      { role: 'tool', tool_call_id: 'toolu_2', content: '9am' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('tools and tool_choice: input_schema as parameters; any as required; a named tool', () => {
    const tools = [
      {
        name: 'weather',
        description: 'Weather now',
        input_schema: { type: 'object', properties: {} },
        cache_control: { type: 'ephemeral' },
      },
    ];
    const fn = {
      type: 'function',
      function: {
        name: 'weather',
        parameters: { type: 'object', properties: {} },
        description: 'Weather now',
      },
    };
    const cases: [unknown, Record<string, unknown>][] = [
      [undefined, {}],
      [{ type: 'auto' }, { tool_choice: 'auto' }],
      [{ type: 'any' }, { tool_choice: 'required' }],
      [{ type: 'none' }, { tool_choice: 'none' }],
      [
        { type: 'tool', name: 'weather', disable_parallel_tool_use: true },
        {
          tool_choice: { type: 'function', function: { name: 'weather' } },
          parallel_tool_calls: false,
        },
      ],
      [
        { type: 'auto', disable_parallel_tool_use: true },
        { tool_choice: 'auto', parallel_tool_calls: false },
      ],
    ];
    for (const [choice, want] of cases) {
      const out = translate({ tools, tool_choice: choice });
      assert.deepEqual(out.tools, [fn]);
      assert.deepEqual(
        { tool_choice: out.tool_choice, parallel_tool_calls: out.parallel_tool_calls },
        { tool_choice: undefined, parallel_tool_calls: undefined, ...want },
      );
    }
  });

  it('stop_sequences, temperature and top_p carry over', () => {
    const out = translate({ stop_sequences: ['END'], temperature: 0.3, top_p: 0.8 });
    assert.deepEqual([out.stop, out.temperature, out.top_p], [['END'], 0.3, 0.8]);
  });

  it('thinking and effort become reasoning_effort; a schema becomes a strict response_format', () => {
    const effortOf = (extra: Record<string, unknown>) => translate(extra).reasoning_effort;
    assert.equal(effortOf({ output_config: { effort: 'high' } }), 'high');
    assert.equal(effortOf({ thinking: { type: 'enabled', budget_tokens: 2048 } }), 'low');
    assert.equal(effortOf({ thinking: { type: 'enabled', budget_tokens: 10000 } }), 'medium');
    assert.equal(effortOf({ thinking: { type: 'enabled', budget_tokens: 32000 } }), 'high');
    assert.equal(effortOf({ thinking: { type: 'adaptive' } }), undefined);
    assert.equal(effortOf({ thinking: { type: 'disabled' } }), undefined);
    const schema = { type: 'object', properties: {}, additionalProperties: false };
    assert.deepEqual(
      translate({ output_config: { format: { type: 'json_schema', schema } } }).response_format,
      { type: 'json_schema', json_schema: { name: 'response', schema, strict: true } },
    );
  });

  it('drops what changes nothing the client sees', () => {
    const out = translate({
      metadata: { user_id: 'u1' },
      service_tier: 'auto',
      cache_control: { type: 'ephemeral' },
    });
    assert.deepEqual(out, messagesRequestToChat(base));
  });

  it('round trip: a chat conversation through Messages and back says the same thing', () => {
    const chat = {
      model: 'm',
      max_completion_tokens: 100,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'weather', arguments: '{"c":"P"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
      tool_choice: 'required',
    };
    assert.deepEqual(messagesRequestToChat(chatRequestToMessages(chat)), chat);
  });
});

describe('messagesRequestToChat: what is refused', () => {
  const refusals: [string, Record<string, unknown>][] = [
    ['top_k', { top_k: 40 }],
    ['inference_geo', { inference_geo: 'eu' }],
    ['mcp_servers', { mcp_servers: [{ type: 'url', url: 'https://x', name: 'x' }] }],
    ['made_up_field', { made_up_field: true }],
    ['max_tokens', { max_tokens: undefined }],
    ['tools[0].type', { tools: [{ type: 'web_search_20250305', name: 'web_search' }] }],
    [
      'tools[0].input_examples',
      { tools: [{ name: 'f', input_schema: { type: 'object' }, input_examples: [{}] }] },
    ],
    ['output_config.format.type', { output_config: { format: { type: 'regex' } } }],
    [
      'messages[0].content[0].citations',
      {
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'document',
                source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' },
                citations: { enabled: true },
              },
            ],
          },
        ],
      },
    ],
    [
      'messages[0].content[0].source',
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }],
          },
        ],
      },
    ],
    [
      'messages[0].content[0].content[0].type',
      {
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 't',
                content: [{ type: 'image', source: { type: 'url', url: 'https://x/a.png' } }],
              },
            ],
          },
        ],
      },
    ],
    [
      'messages[0].content[0].type',
      {
        messages: [
          {
            role: 'assistant',
            content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }],
          },
        ],
      },
    ],
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
