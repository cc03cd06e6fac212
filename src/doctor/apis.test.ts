import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endMarker, endsAnswer } from './apis.ts';

const event = (name: string | undefined, data: string) => ({
  event: name,
  data,
  id: undefined,
  retry: undefined,
  comments: [],
});

describe('endsAnswer', () => {
  it('by the event name, or by the data’s type where a hop dropped the names', () => {
    assert.equal(endsAnswer('messages', event('message_stop', '{"type":"message_stop"}')), true);
    assert.equal(endsAnswer('messages', event(undefined, '{"type":"message_stop"}')), true);
    assert.equal(endsAnswer('messages', event(undefined, '{ "type" : "message_stop" }')), true);
    assert.equal(endsAnswer('messages', event('message_delta', '{"type":"message_stop"}')), false);
    assert.equal(endsAnswer('responses', event('response.incomplete', '{}')), true);
    assert.equal(endsAnswer('responses', event('response.failed', '{}')), true);
    assert.equal(endsAnswer('responses', event('response.output_text.delta', '{}')), false);
  });

  it('a Chat answer ends with [DONE] alone; the others’ marker is not one for it', () => {
    assert.equal(endsAnswer('chat', event('message_stop', '{"type":"message_stop"}')), false);
    assert.equal(endsAnswer(undefined, event(undefined, '{"type":"response.completed"}')), false);
    assert.equal(endMarker(undefined), '[DONE]');
    assert.equal(endMarker('messages'), 'message_stop');
    assert.equal(endMarker('responses'), 'response.completed');
  });
});
