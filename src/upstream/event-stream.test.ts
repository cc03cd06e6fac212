import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeEventMessage } from '../../test/support/event-stream.ts';
import { sseOf } from './bedrock.ts';
import { EventStreamDecoder } from './event-stream.ts';

const chunk = (event: object) =>
  encodeEventMessage(
    { ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' },
    Buffer.from(
      JSON.stringify({ bytes: Buffer.from(JSON.stringify(event)).toString('base64'), p: 'abcdef' }),
    ),
  );

describe('EventStreamDecoder', () => {
  it('hands out whole messages however the bytes are cut', () => {
    const events = [{ type: 'message_start' }, { type: 'ping' }, { type: 'message_stop' }];
    const wire = Buffer.concat(events.map(chunk));
    for (const size of [1, 7, 64, wire.length]) {
      const decoder = new EventStreamDecoder();
      const seen: string[] = [];
      for (let at = 0; at < wire.length; at += size)
        for (const message of decoder.push(wire.subarray(at, at + size))) seen.push(sseOf(message));
      assert.deepEqual(
        seen,
        events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`),
        `cut every ${size} bytes`,
      );
      assert.equal(decoder.pending, 0);
    }
  });

  it('a large message cut small, whole messages around it in the same reads: each handed out once', () => {
    const big = encodeEventMessage({ ':event-type': 'chunk' }, Buffer.alloc(3_000_000, 7));
    const small = chunk({ type: 'ping' });
    const wire = Buffer.concat([small, big, small, big, small]);
    const decoder = new EventStreamDecoder();
    const sizes: number[] = [];
    for (let at = 0, cut = 1; at < wire.length; at += cut, cut = (cut * 7) % 65_521)
      for (const message of decoder.push(wire.subarray(at, at + cut)))
        sizes.push(message.payload.length);
    assert.deepEqual(sizes.length, 5);
    assert.deepEqual([sizes[1], sizes[3]], [3_000_000, 3_000_000]);
    assert.equal(decoder.pending, 0);
  });

  it('refuses a message whose checksum fails, or whose length is impossible', () => {
    const wire = chunk({ type: 'ping' });
    const flipped = Buffer.from(wire);
    const at = flipped.length - 6;
    flipped.writeUInt8(flipped.readUInt8(at) ^ 1, at);
    assert.throws(() => new EventStreamDecoder().push(flipped), /message checksum mismatch/);
    const prelude = Buffer.from(wire);
    prelude.writeUInt8(prelude.readUInt8(1) ^ 1, 1);
    assert.throws(() => new EventStreamDecoder().push(prelude), /prelude checksum mismatch/);
  });
});

describe('sseOf', () => {
  it('an exception is an Anthropic error event, with its message', () => {
    const exception = encodeEventMessage(
      { ':message-type': 'exception', ':exception-type': 'throttlingException' },
      Buffer.from(JSON.stringify({ message: 'Too many tokens, please wait.' })),
    );
    const [message] = new EventStreamDecoder().push(exception);
    assert.ok(message !== undefined);
    assert.equal(
      sseOf(message),
      `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Too many tokens, please wait.' } })}\n\n`,
    );
  });

  it('an event whose JSON spans lines is written on one', () => {
    const wire = encodeEventMessage(
      { ':event-type': 'chunk', ':message-type': 'event' },
      Buffer.from(
        JSON.stringify({ bytes: Buffer.from('{\n"type": "ping"\n}').toString('base64') }),
      ),
    );
    const [message] = new EventStreamDecoder().push(wire);
    assert.equal(message && sseOf(message), 'event: ping\ndata: {"type":"ping"}\n\n');
  });

  it('a type that is not a plain name writes no event (its line breaks would write others)', () => {
    const injected = { type: 'ping\n\nevent: message_stop\ndata: {"type":"message_stop"}' };
    const [message] = new EventStreamDecoder().push(chunk(injected));
    assert.equal(message && sseOf(message), '');
  });
});
