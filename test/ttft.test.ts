/**
 * Time to first token beside time to first byte. On the first round's main records carried
 * only the first byte (9–15 ms on the demo: the role chunk), not the first token (313–390 ms).
 * The first byte here is an event with no content; the content follows only after the client
 * has read it, so the record must put the first token strictly after the first byte.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatEvent } from '../src/sse/index.ts';
import {
  deferred,
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { sluiceFor, type TestSluice } from './support/sluice.ts';
import { postStream } from './support/sse-client.ts';

let upstream: FakeUpstream;
let sluice: TestSluice;
before(async () => {
  upstream = await startFakeUpstream();
  sluice = await sluiceFor(upstream.origin);
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});

const cases = [
  {
    dialect: 'Chat Completions',
    path: '/v1/chat/completions',
    body: { model: 'm', stream: true, messages: [] },
    empty: formatEvent({
      data: '{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}',
    }),
    content: formatEvent({ data: '{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}' }),
    end:
      formatEvent({
        data: '{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
      }) + formatEvent({ data: '[DONE]' }),
  },
  {
    dialect: 'Anthropic Messages',
    path: '/v1/messages',
    body: { model: 'claude-x', stream: true, max_tokens: 10, messages: [] },
    empty: formatEvent({
      event: 'message_start',
      data: '{"type":"message_start","message":{"id":"m","usage":{"input_tokens":3,"output_tokens":1}}}',
    }),
    content: formatEvent({
      event: 'content_block_delta',
      data: '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}',
    }),
    end: formatEvent({ event: 'message_stop', data: '{"type":"message_stop"}' }),
  },
];

describe('time to first token', () => {
  for (const c of cases) {
    it(`${c.dialect}: after the first byte when the first event carries no content`, async () => {
      const read = deferred();
      upstream.script(async ({ res }) => {
        sseHead(res);
        res.write(c.empty);
        await read.promise;
        res.end(c.content + c.end);
      });
      const stream = await postStream(`${sluice.url}${c.path}`, c.body);
      const events = stream.events[Symbol.asyncIterator]();
      await events.next();
      read.resolve();
      while (!(await events.next()).done) {
        // the rest of the stream
      }
      await sluice.running.settled();
      const [record] = await sluice.running.store.listUsage({ limit: 1 });
      assert.ok(record?.clientTtfbMs != null && record.clientTtftMs != null);
      assert.ok(
        record.clientTtftMs > record.clientTtfbMs,
        `${record.clientTtftMs} > ${record.clientTtfbMs}`,
      );
      const line = sluice.logs.findLast((l) => l.msg === 'request' && l.request_id === record.id);
      assert.equal(line?.client_ttft_ms, record.clientTtftMs);
    });
  }
});
