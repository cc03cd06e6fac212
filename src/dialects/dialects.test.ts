import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AuthenticationError, UpstreamTimeoutError } from '../errors/index.ts';
import { formatEvent, parseEvent } from '../sse/index.ts';
import {
  anthropicMessages,
  type Dialect,
  type EventKind,
  openaiChat,
  openaiGeneric,
  openaiResponses,
} from './index.ts';

const fixtures = new URL('../../test/fixtures/provider-streams/', import.meta.url);

/** A recorded stream as the provider framed it: named events where the payload has a type. */
function recorded(path: string, named: boolean, done: boolean): Buffer[] {
  const lines = readFileSync(new URL(path, fixtures), 'utf8').split('\n').filter(Boolean);
  const events = lines.map((data) =>
    formatEvent(named ? { event: (JSON.parse(data) as { type: string }).type, data } : { data }),
  );
  if (done) events.push(formatEvent({ data: '[DONE]' }));
  return events.map((e) => Buffer.from(e));
}

const classify = (dialect: Dialect, events: Buffer[]): EventKind[] =>
  events.map((e) => dialect.classify(e, 0, e.length));

describe('classify on recorded provider streams', () => {
  it('chat: only [DONE] ends an OpenAI, Azure, DeepSeek or xAI stream', () => {
    for (const file of [
      'openai-chat/openai-text.chunks.txt',
      'openai-chat/azure-model-router.1.chunks.txt',
      'openai-compatible-chat/deepseek-reasoning.chunks.txt',
      'openai-compatible-chat/xai-tool-call.chunks.txt',
    ]) {
      const kinds = classify(openaiChat, recorded(file, false, true));
      assert.equal(kinds.at(-1), 'done', file);
      assert.ok(
        kinds.slice(0, -1).every((k) => k === 'data'),
        file,
      );
    }
  });

  it('responses: completed ends the stream, failed and error are errors', () => {
    const ok = classify(
      openaiResponses,
      recorded('openai-responses/openai-phase.1.chunks.txt', true, false),
    );
    assert.equal(ok.at(-1), 'done');
    assert.equal(ok.filter((k) => k === 'done').length, 1);
    const failed = classify(
      openaiResponses,
      recorded('openai-responses/openai-error.1.chunks.txt', true, false),
    );
    assert.ok(failed.includes('error'));
    assert.ok(!failed.includes('done'));
  });

  it('anthropic: message_stop ends the stream; ping is data', () => {
    const kinds = classify(
      anthropicMessages,
      recorded('anthropic-messages/anthropic-text.chunks.txt', true, false),
    );
    assert.equal(kinds.at(-1), 'done');
    assert.equal(kinds.filter((k) => k === 'done').length, 1);
  });

  it('a comment is not an event', () => {
    const keepalive = Buffer.from(': keepalive\n\n');
    for (const d of [openaiChat, openaiResponses, anthropicMessages, openaiGeneric]) {
      assert.equal(d.classify(keepalive, 0, keepalive.length), 'comment', d.name);
    }
  });

  it('chat and generic: an error object mid-stream is an error', () => {
    const error = Buffer.from('data: {"error":{"message":"overloaded"}}\n\n');
    assert.equal(openaiChat.classify(error, 0, error.length), 'error');
    assert.equal(openaiGeneric.classify(error, 0, error.length), 'error');
  });
  it('chat and generic: a chunk whose error is null is no error; spaces around the colon change nothing', () => {
    // `{"error":null,…}` ended the stream's metering as failed (the record said upstream_error).
    for (const [text, kind] of [
      ['data: {"error":null,"choices":[]}\n\n', 'data'],
      ['data: {"error" : null}\n\n', 'data'],
      ['data: {"error" : {"message":"overloaded"}}\n\n', 'error'],
      ['data: {"errors":1}\n\n', 'data'],
    ] as const) {
      const event = Buffer.from(text);
      assert.equal(openaiChat.classify(event, 0, event.length), kind, text);
      assert.equal(openaiGeneric.classify(event, 0, event.length), kind, text);
    }
  });
});

describe('in-band errors', () => {
  const error = new UpstreamTimeoutError('openai', 'idle', 300000);

  it('chat: a data event with an OpenAI error object, which the openai SDK raises', () => {
    const event = parseEvent(Buffer.from(openaiChat.errorEvent(error, 5)));
    assert.equal(event.event, undefined);
    assert.deepEqual(JSON.parse(event.data ?? ''), {
      error: {
        message: error.message,
        type: 'server_error',
        param: null,
        code: 'upstream_timeout',
      },
    });
  });

  it('responses: an error event numbered after the events already sent', () => {
    const event = parseEvent(Buffer.from(openaiResponses.errorEvent(error, 42)));
    assert.equal(event.event, 'error');
    assert.deepEqual(JSON.parse(event.data ?? ''), {
      type: 'error',
      code: 'upstream_timeout',
      message: error.message,
      param: null,
      sequence_number: 42,
    });
  });

  it('anthropic: an error event in Anthropic shape', () => {
    const event = parseEvent(Buffer.from(anthropicMessages.errorEvent(error, 0)));
    assert.equal(event.event, 'error');
    assert.deepEqual(JSON.parse(event.data ?? ''), {
      type: 'error',
      error: { type: 'api_error', message: error.message, code: 'upstream_timeout' },
    });
  });

  it('every dialect classifies its own in-band error as an error', () => {
    for (const d of [openaiChat, openaiResponses, anthropicMessages, openaiGeneric]) {
      const event = Buffer.from(d.errorEvent(error, 0));
      assert.equal(d.classify(event, 0, event.length), 'error', d.name);
    }
  });
});

describe('error bodies', () => {
  it('OpenAI shape for OpenAI routes, Anthropic shape with the OpenAI fields for /v1/messages', () => {
    const error = new AuthenticationError('Incorrect API key provided.');
    assert.deepEqual(openaiChat.errorBody(error), {
      error: {
        message: 'Incorrect API key provided.',
        type: 'authentication_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    assert.deepEqual(anthropicMessages.errorBody(error), {
      type: 'error',
      error: {
        type: 'authentication_error',
        message: 'Incorrect API key provided.',
        code: 'invalid_api_key',
      },
    });
  });
});
