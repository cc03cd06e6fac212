import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseFramer } from './framer.ts';

/** Feeds `chunks` and returns [events as text, bytes released per push]. */
function frame(chunks: readonly (string | Buffer)[], max?: number) {
  const events: string[] = [];
  const framer = new SseFramer(
    { onEvent: (buf, start, end) => events.push(buf.toString('utf8', start, end)) },
    max,
  );
  const released = chunks.map((c) =>
    framer.push(Buffer.isBuffer(c) ? c : Buffer.from(c)).toString('utf8'),
  );
  return { events, released, framer };
}

describe('SseFramer', () => {
  it('releases a chunk of whole events as it is, one callback per event', () => {
    const chunk = Buffer.from('data: a\n\nevent: x\ndata: b\n\n');
    const events: [number, number][] = [];
    const framer = new SseFramer({ onEvent: (_b, s, e) => events.push([s, e]) });
    assert.equal(framer.push(chunk), chunk, 'the very same buffer: no copy on the fast path');
    assert.deepEqual(events, [
      [0, 9],
      [9, 27],
    ]);
  });

  it('holds the unterminated tail of an event until its blank line arrives', () => {
    const { events, released } = frame(['data: a\n\ndata: b', '\n', '\ndata: c\n\n']);
    assert.deepEqual(released, ['data: a\n\n', '', 'data: b\n\ndata: c\n\n']);
    assert.deepEqual(events, ['data: a\n\n', 'data: b\n\n', 'data: c\n\n']);
  });

  // A blank line ending in CR at the very end of a chunk completes the event at once (waiting
  // to see whether an LF follows could hold it for a whole keepalive interval); that LF then
  // opens the next block. Clients see the same bytes either way.
  const normalise = (events: string[]) =>
    events.map((e) => e.replace(/^\n/, '').replace(/\r$/, '\r\n'));

  it('frames identically however the bytes are split', () => {
    const stream =
      ': comment\n\ndata: {"x":"é漢"}\n\nevent: message_stop\r\ndata: {}\r\n\r\ndata: a\rdata: b\r\rdata: [DONE]\n\n';
    const whole = frame([stream]).events;
    assert.equal(whole.length, 5);
    const bytes = Buffer.from(stream);
    for (let cut = 1; cut < bytes.length; cut++) {
      for (const second of [cut + 1, cut + 7, bytes.length]) {
        const parts = [bytes.subarray(0, cut), bytes.subarray(cut, second), bytes.subarray(second)];
        const { events, released } = frame(parts);
        assert.deepEqual(normalise(events), normalise(whole), `split at ${cut}/${second}`);
        assert.equal(released.join(''), stream);
      }
    }
  });

  it('treats a CRLF split across chunks as one line end', () => {
    const { events } = frame(['data: a\r', '\ndata: b\r\n\r\n']);
    assert.deepEqual(events, ['data: a\r\ndata: b\r\n\r\n']);
  });

  it('ends an event at once when its blank line ends in CR at the end of a chunk', () => {
    const { events } = frame(['data: a\r\n\r', '\ndata: b\r\n\r\n']);
    assert.deepEqual(events, ['data: a\r\n\r', '\ndata: b\r\n\r\n']);
  });

  it('ends events at lone CRs', () => {
    const { events } = frame(['data: a\r\rdata: b\r', '\r']);
    assert.deepEqual(events, ['data: a\r\r', 'data: b\r\r']);
  });

  it('reports what is left unterminated at the end', () => {
    const { framer } = frame(['data: a\n\ndata: [DONE]']);
    assert.equal(framer.pendingBytes, 12);
    assert.equal(framer.takePending().toString(), 'data: [DONE]');
    assert.equal(framer.pendingBytes, 0);
  });

  it('stops holding and passes bytes through once an event outgrows the limit', () => {
    const { events, released, framer } = frame(['data: 0123', '456789', 'abc\n\ndata: x\n\n'], 12);
    assert.deepEqual(released, ['', 'data: 0123456789', 'abc\n\ndata: x\n\n']);
    assert.equal(framer.overflowed, true);
    // Framing resumes after the event too large: a stream's usage and end come after it.
    assert.deepEqual(events, ['data: x\n\n']);
  });

  it('after an event too large, frames the rest however it is split; every byte passes once', () => {
    const stream = 'data: a\n\ndata: 0123456789abcdef\n\ndata: b\n\ndata: [DONE]\n\n';
    const bytes = Buffer.from(stream);
    for (let cut = 1; cut < bytes.length; cut++) {
      for (const second of [cut + 1, cut + 5, bytes.length]) {
        const parts = [bytes.subarray(0, cut), bytes.subarray(cut, second), bytes.subarray(second)];
        const { events, released } = frame(parts, 16);
        assert.equal(released.join(''), stream, `split at ${cut}/${second}`);
        assert.deepEqual(
          events.filter((e) => !e.includes('0123')),
          ['data: a\n\n', 'data: b\n\n', 'data: [DONE]\n\n'],
          `split at ${cut}/${second}`,
        );
      }
    }
  });

  it('an event too large in one chunk, after whole ones, passes through whole', () => {
    const { events, released } = frame(
      ['data: a\n\ndata: 0123456789abcdef', '\n\ndata: b\n\n'],
      12,
    );
    assert.deepEqual(released, ['data: a\n\ndata: 0123456789abcdef', '\n\ndata: b\n\n']);
    assert.deepEqual(events, ['data: a\n\n', 'data: b\n\n']);
  });
});
