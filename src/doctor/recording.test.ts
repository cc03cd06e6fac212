/** Recording: what a capture keeps of a stream, bounded whatever the server sends. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Recording } from './recording.ts';
import { MAX_RECORDED, type Timeline } from './timeline.ts';

describe('Recording', () => {
  it('keeps at most MAX_RECORDED events and comments, and still reads the stream to its end', async () => {
    // A server flooding events took the doctor to 4 GB in half a minute.
    const ended = new Promise<Timeline>((resolve) => {
      const recording = new Recording(
        { url: new URL('http://127.0.0.1/sluice/probe'), mode: 'probe' },
        resolve,
      );
      recording.response(200, { 'content-type': 'text/event-stream' });
      const flood = `data: {"seq":1}\n\n: keepalive\n\n`.repeat(MAX_RECORDED + 5000);
      recording.body(Buffer.from(flood));
      recording.body(Buffer.from('data: [DONE]\n\n'));
      recording.bodyEnd('eof');
    });
    const timeline = await ended;
    assert.equal(timeline.events.length, MAX_RECORDED);
    assert.equal(timeline.comments.length, MAX_RECORDED);
    assert.equal(timeline.end.kind, 'done', 'read past the cap to its end marker');
  });
});
