/** chatRequestToMessages: each mapping, each default, each refusal (a 400 naming the field). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidFieldError } from '../../errors/index.ts';
import { chatRequestToMessages, DEFAULT_MAX_TOKENS, messagesCountBody } from './index.ts';

const user = { role: 'user', content: 'Hi' };
const base = { model: 'claude-x', messages: [user] };
const translate = (extra: Record<string, unknown>) => chatRequestToMessages({ ...base, ...extra });

describe('chatRequestToMessages: what maps', () => {
  it('a plain request: model, one user turn, the default max_tokens', () => {
    assert.deepEqual(chatRequestToMessages(base), {
      model: 'claude-x',
      max_tokens: DEFAULT_MAX_TOKENS,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
    assert.equal(DEFAULT_MAX_TOKENS, 4096);
  });

  it('a count body keeps the prompt and what shapes it, none of the output settings', () => {
    const request = translate({
      messages: [{ role: 'system', content: 'Be brief.' }, user],
      stream: true,
      stop: ['END'],
      temperature: 0.5,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: 'required',
      reasoning_effort: 'low',
    });
    assert.deepEqual(Object.keys(messagesCountBody(request)).sort(), [
      'messages',
      'model',
      'output_config',
      'system',
      'thinking',
      'tool_choice',
      'tools',
    ]);
    assert.deepEqual(messagesCountBody(request).messages, request.messages);
  });

  it('max tokens: max_completion_tokens first, then max_tokens, then the configured default', () => {
    assert.equal(translate({ max_tokens: 10, max_completion_tokens: 20 }).max_tokens, 20);
    assert.equal(translate({ max_tokens: 10 }).max_tokens, 10);
    assert.equal(chatRequestToMessages(base, { defaultMaxTokens: 999 }).max_tokens, 999);
  });

  it('system and developer messages, wherever they are, become system blocks in order', () => {
    const out = chatRequestToMessages({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        user,
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
      ],
    });
    assert.deepEqual(out.system, [
      { type: 'text', text: 'Be brief.' },
      { type: 'text', text: 'Answer in French.' },
    ]);
    assert.deepEqual(out.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
  });

  it('images: data: URLs as base64, http(s) URLs as url sources; PDFs as documents', () => {
    const out = chatRequestToMessages({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
            {
              type: 'file',
              file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBER' },
            },
          ],
        },
      ],
    });
    assert.deepEqual(out.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
          {
            type: 'document',
            source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' },
            title: 'a.pdf',
          },
        ],
      },
    ]);
  });

  it('tool calls become tool_use; consecutive tool results share one user turn, text after', () => {
    const out = chatRequestToMessages({
      model: 'm',
      messages: [
        user,
        {
          role: 'assistant',
          content: 'Looking.',
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'weather', arguments: '{"city":"Paris"}' },
            },
            { id: 'functions.time:1', type: 'function', function: { name: 'time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
        {
          role: 'tool',
          tool_call_id: 'functions.time:1',
          content: [{ type: 'text', text: '9am' }],
        },
        { role: 'user', content: 'Thanks' },
        { role: 'assistant', content: 'You are welcome.' },
      ],
    });
    assert.deepEqual(out.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Looking.' },
          { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'functions_time_1', name: 'time', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'call_1',
            content: [{ type: 'text', text: 'Sunny' }],
          },
          {
            type: 'tool_result',
            tool_use_id: 'functions_time_1',
            content: [{ type: 'text', text: '9am' }],
          },
          { type: 'text', text: 'Thanks' },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'You are welcome.' }] },
    ]);
  });

  it('an assistant turn with only tool calls and content null has no empty text block', () => {
    const out = chatRequestToMessages({
      model: 'm',
      messages: [
        user,
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
      ],
    });
    assert.deepEqual((out.messages as { content: unknown[] }[])[1]?.content, [
      { type: 'tool_use', id: 'c', name: 'f', input: {} },
    ]);
  });

  it('tools: parameters become input_schema', () => {
    const out = translate({
      tools: [
        {
          type: 'function',
          function: {
            name: 'weather',
            description: 'Weather now',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
            strict: true,
          },
        },
        { type: 'function', function: { name: 'ping' } },
      ],
    });
    assert.deepEqual(out.tools, [
      {
        name: 'weather',
        description: 'Weather now',
        input_schema: { type: 'object', properties: { city: { type: 'string' } } },
        strict: true,
      },
      { name: 'ping', input_schema: { type: 'object', properties: {} } },
    ]);
  });

  const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
  const choices: [unknown, unknown, unknown][] = [
    ['auto', undefined, { type: 'auto' }],
    ['none', undefined, { type: 'none' }],
    ['required', undefined, { type: 'any' }],
    [{ type: 'function', function: { name: 'f' } }, undefined, { type: 'tool', name: 'f' }],
    ['required', false, { type: 'any', disable_parallel_tool_use: true }],
    [undefined, false, { type: 'auto', disable_parallel_tool_use: true }],
    ['none', false, { type: 'none' }],
    [undefined, true, undefined],
    [undefined, undefined, undefined],
  ];
  for (const [choice, parallel, want] of choices) {
    it(`tool_choice ${JSON.stringify(choice)}, parallel_tool_calls ${String(parallel)}`, () => {
      const out = translate({ tools, tool_choice: choice, parallel_tool_calls: parallel });
      assert.deepEqual(out.tool_choice, want);
    });
  }

  it('stop, temperature, top_p, top_k and stream carry over', () => {
    const out = translate({ stop: 'END', temperature: 0.2, top_p: 0.9, top_k: 40, stream: true });
    assert.deepEqual(
      [out.stop_sequences, out.temperature, out.top_p, out.top_k, out.stream],
      [['END'], 0.2, 0.9, 40, true],
    );
    assert.deepEqual(translate({ stop: ['a', 'b'] }).stop_sequences, ['a', 'b']);
    assert.equal('stop_sequences' in translate({ stop: null }), false);
  });

  it('response_format json_schema becomes output_config.format', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const out = translate({
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema, strict: true } },
    });
    assert.deepEqual(out.output_config, { format: { type: 'json_schema', schema } });
    assert.equal('output_config' in translate({ response_format: { type: 'text' } }), false);
  });

  it('reasoning_effort becomes adaptive thinking at that effort; none turns thinking off', () => {
    const high = translate({ reasoning_effort: 'high' });
    assert.deepEqual(
      [high.thinking, high.output_config],
      [{ type: 'adaptive' }, { effort: 'high' }],
    );
    assert.deepEqual(translate({ reasoning_effort: 'minimal' }).output_config, { effort: 'low' });
    const none = translate({ reasoning_effort: 'none' });
    assert.deepEqual([none.thinking, none.output_config], [{ type: 'disabled' }, undefined]);
  });

  it('drops what changes nothing the client sees, and settings at their defaults', () => {
    const out = translate({
      user: 'u1',
      metadata: { a: 'b' },
      store: true,
      seed: 7,
      service_tier: 'auto',
      stream_options: { include_usage: true },
      n: 1,
      logprobs: false,
      frequency_penalty: 0,
      presence_penalty: null,
      modalities: ['text'],
      parallel_tool_calls: true,
    });
    assert.deepEqual(out, chatRequestToMessages(base));
  });
});

describe('chatRequestToMessages: what is refused', () => {
  const refusals: [string, Record<string, unknown>][] = [
    ['n', { n: 2 }],
    ['logprobs', { logprobs: true }],
    ['top_logprobs', { top_logprobs: 3 }],
    ['frequency_penalty', { frequency_penalty: 0.5 }],
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['modalities', { modalities: ['text', 'audio'] }],
    ['audio', { audio: { voice: 'alloy', format: 'mp3' } }],
    ['web_search_options', { web_search_options: {} }],
    ['functions', { functions: [{ name: 'f' }] }],
    ['made_up_field', { made_up_field: 1 }],
    // Names of Object's own properties are fields like any unknown one (JSON makes them own).
    ['constructor', { constructor: 1 }],
    ['toString', { toString: 'x' }],
    ['__proto__', JSON.parse('{"__proto__": {"n": 1}}') as Record<string, unknown>],
    ['temperature', { temperature: 1.5 }],
    ['response_format', { response_format: { type: 'json_object' } }],
    ['reasoning_effort', { reasoning_effort: 'extreme' }],
    ['max_tokens', { max_tokens: 0 }],
    ['tools[0].type', { tools: [{ type: 'custom', custom: { name: 'x' } }] }],
    ['tool_choice', { tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'any' }],
    [
      'messages[0].content[0].type',
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }],
          },
        ],
      },
    ],
    [
      'messages[0].content[0].image_url.url',
      {
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/a.png' } }] },
        ],
      },
    ],
    [
      'messages[0].content[0].file',
      { messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }] },
    ],
    ['messages[0].role', { messages: [{ role: 'function', name: 'f', content: 'x' }] }],
    [
      'messages[1].tool_calls[0].function.arguments',
      {
        messages: [
          user,
          {
            role: 'assistant',
            tool_calls: [
              { id: 'c', type: 'function', function: { name: 'f', arguments: '[1,2]' } },
            ],
          },
        ],
      },
    ],
    ['messages[1].audio', { messages: [user, { role: 'assistant', audio: { id: 'audio_1' } }] }],
    ['messages', { messages: [{ role: 'system', content: 'only a system prompt' }] }],
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
