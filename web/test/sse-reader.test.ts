/** The page's event-stream reader: chunks may split anywhere, and each event comes out once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatEventParser } from '../src/api/sse-reader.ts';
import type { ChatEvent } from '../src/api/types.ts';

const stream =
  ': keepalive\n\n' +
  'data: {"type":"start","conversation_id":"c","message_id":"m","model":"x"}\n\n' +
  'data: {"type":"delta","text":"Hel"}\r\n\r\n' +
  'data: {"type":"delta","text":"lo\\n"}\r\r' +
  'data: {"type":"mystery"}\n\n' +
  'data: {"type":"done","finish_reason":"stop","usage":null,"request_id":"r"}\n\n';

const expected: ChatEvent[] = [
  { type: 'start', conversation_id: 'c', message_id: 'm', model: 'x' },
  { type: 'delta', text: 'Hel' },
  { type: 'delta', text: 'lo\n' },
  { type: 'done', finish_reason: 'stop', usage: null, request_id: 'r' },
];

describe('ChatEventParser', () => {
  it('reads a whole stream in one chunk, skipping comments and unknown types', () => {
    assert.deepEqual(new ChatEventParser().push(stream), expected);
  });

  it('gives the same events whatever the chunk boundaries, CR LF split included', () => {
    for (const size of [1, 2, 3, 7, 13]) {
      const parser = new ChatEventParser();
      const events: ChatEvent[] = [];
      for (let i = 0; i < stream.length; i += size)
        events.push(...parser.push(stream.slice(i, i + size)));
      assert.deepEqual(events, expected, `chunks of ${size}`);
    }
  });

  it('joins multi-line data with newlines and ignores other fields', () => {
    const events = new ChatEventParser().push(
      'event: x\nid: 1\ndata: {"type":"delta",\ndata: "text":"a"}\n\n',
    );
    assert.deepEqual(events, [{ type: 'delta', text: 'a' }]);
  });
});
