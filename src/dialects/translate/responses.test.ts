/** Whole (non-streamed) answers both ways, the chat one checked against OpenAI's schema. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemaValidator } from '../../../test/support/openapi.ts';
import { UpstreamProtocolError } from '../../errors/index.ts';
import { chatResponseToMessages, messagesResponseToChat } from './index.ts';

const validCompletion = schemaValidator('CreateChatCompletionResponse');

const anthropicAnswer = {
  id: 'msg_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'thinking', thinking: 'Weather first.', signature: 'sig' },
    { type: 'text', text: 'Let me check ', citations: null },
    { type: 'text', text: 'the weather.' },
    { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: {
    input_tokens: 10,
    cache_read_input_tokens: 90,
    cache_creation_input_tokens: 0,
    output_tokens: 30,
  },
};

describe('messagesResponseToChat', () => {
  it('is a valid chat.completion with the same text, reasoning, tool calls, finish and usage', () => {
    const out = messagesResponseToChat(anthropicAnswer, 'asked', 1_700_000_000);
    assert.ok(validCompletion(out), JSON.stringify(validCompletion.errors));
    assert.deepEqual(out, {
      id: 'msg_01',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'claude-sonnet-4-5-20250929',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me check the weather.',
            refusal: null,
            reasoning_content: 'Weather first.',
            tool_calls: [
              {
                id: 'toolu_1',
                type: 'function',
                function: { name: 'weather', arguments: '{"city":"Paris"}' },
              },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 30,
        total_tokens: 130,
        prompt_tokens_details: { cached_tokens: 90 },
      },
    });
  });

  it('maps each stop reason', () => {
    const cases: [string, string][] = [
      ['end_turn', 'stop'],
      ['stop_sequence', 'stop'],
      ['max_tokens', 'length'],
      ['model_context_window_exceeded', 'length'],
      ['tool_use', 'tool_calls'],
      ['refusal', 'content_filter'],
    ];
    for (const [stop, finish] of cases) {
      const out = messagesResponseToChat({ ...anthropicAnswer, stop_reason: stop }, 'm', 1);
      assert.equal((out.choices as { finish_reason: string }[])[0]?.finish_reason, finish, stop);
    }
  });

  it('refuses what is not a Messages answer as an upstream protocol error', () => {
    assert.throws(() => messagesResponseToChat({ type: 'error' }, 'm'), UpstreamProtocolError);
  });
});

const chatAnswer = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'deepseek-reasoner',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Checking.',
        reasoning_content: 'Use the tool.',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'weather', arguments: '{"city":"Paris"}' },
          },
          { id: 'call_2', type: 'function', function: { name: 'time', arguments: 'not json' } },
        ],
      },
      finish_reason: 'tool_calls',
    },
  ],
  usage: {
    prompt_tokens: 339,
    completion_tokens: 83,
    total_tokens: 422,
    prompt_tokens_details: { cached_tokens: 320 },
    completion_tokens_details: { reasoning_tokens: 39 },
  },
};

describe('chatResponseToMessages', () => {
  it('is an Anthropic message with the same thinking, text, tool_use, stop reason and usage', () => {
    assert.deepEqual(chatResponseToMessages(chatAnswer, 'asked'), {
      id: 'chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'deepseek-reasoner',
      content: [
        { type: 'thinking', thinking: 'Use the tool.', signature: '' },
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_2', name: 'time', input: 'not json' },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 19,
        output_tokens: 83,
        cache_read_input_tokens: 320,
        cache_creation_input_tokens: 0,
        output_tokens_details: { thinking_tokens: 39 },
      },
    });
  });

  it('maps each finish reason, and calls finished with stop as tool_use', () => {
    const cases: [string, string, boolean][] = [
      ['stop', 'end_turn', false],
      ['length', 'max_tokens', false],
      ['tool_calls', 'tool_use', true],
      ['content_filter', 'refusal', false],
      ['stop', 'tool_use', true],
    ];
    for (const [finish, stop, withTools] of cases) {
      const [choice] = chatAnswer.choices;
      const message = withTools ? choice?.message : { role: 'assistant', content: 'x' };
      const answer = { ...chatAnswer, choices: [{ ...choice, message, finish_reason: finish }] };
      assert.equal(chatResponseToMessages(answer, 'm').stop_reason, stop, finish);
    }
  });

  it('refuses what is not a chat completion as an upstream protocol error', () => {
    assert.throws(() => chatResponseToMessages({ error: {} }, 'm'), UpstreamProtocolError);
  });
});
