/**
 * A Gemini 3 function call's thought signature survives a Messages or Responses client: it
 * rides in the call's id out, and is back where Google reads it when the call and its result
 * come back — the provider's own id restored on both.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from '../../sse/index.ts';
import {
  chatAnswerToResponses,
  chatResponseToMessages,
  chatStreamToMessages,
  chatStreamToResponses,
  messagesRequestToChat,
  responsesEcho,
  responsesRequestToChat,
  type StreamTranslator,
} from './index.ts';
import { signedCallId, unsignedCall } from './thought-signatures.ts';

type Json = Record<string, unknown>;

/** Base64, as Google sends it (padded, with `+` and `/`). */
const SIGNATURE = 'CiQB0e2Kb+9x/7Q1ZkV3lW2fJrUu1Y8wq9zP4l0s5b2+XyZ/RmQ=';
const CALL_ID = 'function-call-15312749587392150171';
const call = {
  index: 0,
  id: CALL_ID,
  type: 'function',
  function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
  extra_content: { google: { thought_signature: SIGNATURE } },
};
const chunk = (delta: Json, finish: string | null = null) =>
  JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    model: 'gemini-3-flash-preview',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
const answer = {
  id: 'c1',
  object: 'chat.completion',
  model: 'gemini-3-flash-preview',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: null, tool_calls: [call] },
      finish_reason: 'tool_calls',
    },
  ],
};

/** Google's streamed call through `t`, to its end: the events the client gets. */
function streamedCall(t: StreamTranslator): Json[] {
  return events(
    [
      t.event(undefined, chunk({ role: 'assistant', tool_calls: [call] })),
      t.event(undefined, chunk({}, 'tool_calls')),
      t.event(undefined, '[DONE]'),
      t.end(),
    ].join(''),
  );
}

function events(sse: string): Json[] {
  const out: Json[] = [];
  new SseParser((e) => {
    if (e.data !== undefined && e.data !== '[DONE]') out.push(JSON.parse(e.data) as Json);
  }).push(Buffer.from(sse));
  return out;
}

/** What Google must get back for the call: its own id, its signature beside it. */
function assertSentBack(chat: Json): void {
  const messages = chat.messages as Json[];
  const assistant = messages.find((m) => m.role === 'assistant');
  const [sent] = assistant?.tool_calls as (Json | undefined)[];
  assert.ok(sent);
  assert.equal(sent.id, CALL_ID);
  assert.deepEqual(sent.extra_content, call.extra_content);
  assert.equal(messages.find((m) => m.role === 'tool')?.tool_call_id, CALL_ID);
}

describe('thought signatures through a Messages client', () => {
  function messagesTurn(toolUseId: string): Json {
    return {
      model: 'gemini-3-flash-preview',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: toolUseId, name: 'get_weather', input: {} }],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: toolUseId, content: '18 °C' }],
        },
      ],
    };
  }

  it('a streamed call: the tool_use id carries it, in the alphabet Anthropic allows', () => {
    const start = streamedCall(chatStreamToMessages({ model: 'gemini-3-flash-preview' })).find(
      (e) => e.type === 'content_block_start',
    );
    const id = (start?.content_block as Json).id as string;
    assert.match(id, /^[a-zA-Z0-9_-]+$/);
    assert.ok(id.startsWith(CALL_ID));
    assertSentBack(messagesRequestToChat(messagesTurn(id)));
  });

  it('a whole answer likewise', () => {
    const message = chatResponseToMessages(answer, 'gemini-3-flash-preview');
    const [block] = message.content as Json[];
    assertSentBack(messagesRequestToChat(messagesTurn(block?.id as string)));
  });

  it('ids without a signature stay as they were, both ways', () => {
    const { extra_content: _none, ...plain } = call;
    assert.equal(signedCallId(CALL_ID, plain), CALL_ID);
    assert.deepEqual(unsignedCall('toolu_01A09q90qw90lq917835lq9'), {
      id: 'toolu_01A09q90qw90lq917835lq9',
      extra: {},
    });
    const chat = messagesRequestToChat(messagesTurn('toolu_01'));
    const assistant = (chat.messages as Json[]).find((m) => m.role === 'assistant');
    assert.deepEqual(Object.keys((assistant?.tool_calls as Json[])[0] ?? {}), [
      'id',
      'type',
      'function',
    ]);
  });

  it('a signature that is not base64 goes as text, and comes back the same', () => {
    const odd = { ...call, extra_content: { google: { thought_signature: 'not base64: é/+' } } };
    const id = signedCallId(CALL_ID, odd);
    assert.match(id, /^[a-zA-Z0-9_-]+$/);
    assert.deepEqual(unsignedCall(id), {
      id: CALL_ID,
      extra: { extra_content: odd.extra_content },
    });
  });
});

describe('thought signatures through a Responses client', () => {
  const request = { model: 'gemini-3-flash-preview', input: 'Weather in Paris?' };
  function responsesTurn(callId: string): Json {
    return {
      model: 'gemini-3-flash-preview',
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: callId, name: 'get_weather', arguments: '{}' },
        { type: 'function_call_output', call_id: callId, output: '18 °C' },
      ],
    };
  }

  it('a streamed call: call_id carries it', () => {
    const added = streamedCall(
      chatStreamToResponses(responsesEcho(request, 'gemini-3-flash-preview')),
    ).find((e) => e.type === 'response.output_item.added');
    const callId = (added?.item as Json).call_id as string;
    assert.ok(callId.startsWith(CALL_ID));
    assertSentBack(responsesRequestToChat(responsesTurn(callId)));
  });

  it('a whole answer likewise', () => {
    const response = chatAnswerToResponses(answer, responsesEcho(request, 'x'));
    const [item] = response.output as Json[];
    assertSentBack(responsesRequestToChat(responsesTurn(item?.call_id as string)));
  });
});
