/**
 * The relay's streaming invariants, each shown by cause and effect rather than by timing:
 * every event reaches the client before the upstream sends the next; silences carry
 * keepalives; a slow client pauses the upstream; a vanished client aborts it; a broken
 * upstream becomes an error the client's SDK raises.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { formatEvent } from '../src/sse/index.ts';
import { numberedStreamHeldBack } from './support/backpressure.ts';
import { chatChunksFor } from './support/chat-fixtures.ts';
import {
  deferred,
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
  writeEvents,
} from './support/fake-upstream.ts';
import { dataOf, postStream } from './support/sse-client.ts';
import { ADMIN_KEY, sluiceFor, type TestSluice } from './support/sluice.ts';

const CHUNKS = chatChunksFor('openai-chat/openai-text.chunks.txt', false);
const chatEvent = (i: number) => formatEvent({ data: JSON.stringify(CHUNKS[i % CHUNKS.length]) });
const DONE = formatEvent({ data: '[DONE]' });
const chatRequest = {
  model: 'gpt-4.1-nano',
  messages: [{ role: 'user' as const, content: 'hi' }],
  stream: true as const,
};

let upstream: FakeUpstream;
let sluice: TestSluice;
let openai: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
  // A short keepalive interval so silences are filled quickly; nothing below depends on its length.
  sluice = await sluiceFor(upstream.origin, { SLUICE_KEEPALIVE: '40ms' });
  openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});

describe('relay', () => {
  it('delivers event n before the upstream sends event n+1 (no buffering anywhere)', async () => {
    const N = 25;
    const acks = Array.from({ length: N }, () => deferred());
    upstream.script(async ({ res }) => {
      sseHead(res);
      for (let i = 0; i < N; i++) {
        res.write(chatEvent(i));
        await acks[i]?.promise; // the next event exists only once the client has this one
      }
      res.end(DONE);
    });
    const stream = await openai.chat.completions.create({ ...chatRequest, stream: true });
    let received = 0;
    for await (const chunk of stream) {
      assert.deepEqual(chunk, CHUNKS[received % CHUNKS.length]);
      acks[received]?.resolve();
      received++;
    }
    assert.equal(received, N);
  });

  it('fills silences with keepalive comments between events', async () => {
    const sawKeepalives = deferred();
    upstream.script(async ({ res }) => {
      sseHead(res);
      res.write(chatEvent(0));
      await sawKeepalives.promise; // silent until the client has seen two keepalives
      res.end(chatEvent(1) + DONE);
    });
    const stream = await postStream(`${sluice.baseURL}/chat/completions`, chatRequest);
    const seen: string[] = [];
    let keepalives = 0;
    for await (const event of stream.events) {
      if (event.comments.includes('keepalive')) {
        // Counted after the first event: on a busy machine the upstream's answer can take a
        // keepalive interval, and Sluice rightly fills that wait too.
        if (seen.some((s) => s !== 'keepalive') && ++keepalives === 2) sawKeepalives.resolve();
        seen.push('keepalive');
      } else seen.push(event.data ?? '');
    }
    const first = seen.findIndex((s) => s !== 'keepalive');
    assert.equal(seen[first], JSON.stringify(CHUNKS[0]));
    assert.deepEqual(seen.slice(first + 1, first + 3), ['keepalive', 'keepalive']);
    assert.deepEqual(seen.filter((s) => s !== 'keepalive').slice(1), [
      JSON.stringify(CHUNKS[1]),
      '[DONE]',
    ]);
    assert.match(
      stream.raw(),
      /\n\n: keepalive\n\n/,
      'keepalives are comment lines between whole events',
    );
  });

  it('never splices a keepalive into a compressed event stream it cannot frame', async () => {
    // A compressed stream is passed through as it came; plain ": keepalive" bytes in it broke
    // the client's decompression.
    const { gzipSync } = await import('node:zlib');
    const whole = gzipSync(chatEvent(0) + chatEvent(1) + DONE);
    const twoIntervals = deferred();
    upstream.script(async ({ res, body }) => {
      if ((JSON.parse(body.toString()) as { model: string }).model === 'beside') {
        // A plain stream beside it: its keepalives say how much silence has passed.
        sseHead(res);
        await twoIntervals.promise;
        res.end(DONE);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
      res.write(whole.subarray(0, 10));
      await twoIntervals.promise;
      res.end(whole.subarray(10));
    });
    const compressed = fetch(`${sluice.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(chatRequest),
    }).then((response) => response.text()); // fetch decompresses it
    const beside = await postStream(`${sluice.baseURL}/chat/completions`, {
      ...chatRequest,
      model: 'beside',
    });
    let keepalives = 0;
    for await (const event of beside.events)
      if (event.comments.includes('keepalive') && ++keepalives === 2) twoIntervals.resolve();
    assert.equal(await compressed, chatEvent(0) + chatEvent(1) + DONE);
  });

  it('sends the event-stream headers and first bytes at once', async () => {
    const headersSeen = deferred();
    upstream.script(async ({ res }) => {
      sseHead(res);
      await headersSeen.promise; // no event until the client has the headers
      res.end(chatEvent(0) + DONE);
    });
    const stream = await postStream(`${sluice.baseURL}/chat/completions`, chatRequest);
    headersSeen.resolve();
    assert.equal(stream.status, 200);
    assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(stream.headers.get('cache-control'), 'no-cache, no-transform');
    assert.equal(stream.headers.get('x-accel-buffering'), 'no');
    assert.equal(stream.headers.get('content-length'), null);
    assert.deepEqual(dataOf(await stream.all()), [JSON.stringify(CHUNKS[0]), '[DONE]']);
  });
});

describe('waiting for the upstream to answer at all', () => {
  it('commits to a 200 event stream with keepalives, then relays the late answer', async () => {
    const clientSawKeepalive = deferred();
    upstream.script(async ({ res }) => {
      await clientSawKeepalive.promise; // no headers until the client is already being kept alive
      sseHead(res);
      res.end(chatEvent(0) + DONE);
    });
    const stream = await postStream(`${sluice.baseURL}/chat/completions`, chatRequest);
    assert.equal(stream.status, 200);
    assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const data: string[] = [];
    for await (const event of stream.events) {
      if (event.comments.includes('keepalive')) clientSawKeepalive.resolve();
      if (event.data !== undefined) data.push(event.data);
    }
    assert.deepEqual(data, [JSON.stringify(CHUNKS[0]), '[DONE]']);
  });

  it('turns a late upstream error into an in-band error, without [DONE]', async () => {
    const clientSawKeepalive = deferred();
    upstream.script(async ({ res }) => {
      await clientSawKeepalive.promise;
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: 'Rate limit reached for gpt-4.1',
            type: 'requests',
            code: 'rate_limit_exceeded',
          },
        }),
      );
    });
    const stream = await postStream(`${sluice.baseURL}/chat/completions`, chatRequest);
    assert.equal(stream.status, 200);
    const data: string[] = [];
    for await (const event of stream.events) {
      if (event.comments.includes('keepalive')) clientSawKeepalive.resolve();
      if (event.data !== undefined) data.push(event.data);
    }
    assert.equal(data.length, 1);
    const error = (JSON.parse(data[0] ?? '') as { error: { message: string; type: string } }).error;
    assert.equal(error.message, 'Rate limit reached for gpt-4.1');
    assert.equal(error.type, 'rate_limit_error');
    assert.doesNotMatch(stream.raw(), /\[DONE\]/);
  });

  it('passes a quick upstream error through as the HTTP error it is', async () => {
    const body = {
      error: {
        message: 'Invalid model',
        type: 'invalid_request_error',
        param: 'model',
        code: null,
      },
    };
    upstream.script(({ res }) => {
      res.writeHead(400, { 'content-type': 'application/json', 'x-request-id': 'req_123' });
      res.end(JSON.stringify(body));
    });
    const response = await fetch(`${sluice.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(chatRequest),
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('x-request-id'), 'req_123');
    assert.deepEqual(await response.json(), body);
  });
});

describe('clients that vanish or dawdle', () => {
  it('aborts the upstream request when the client socket disappears', async () => {
    upstream.script(({ res }) => {
      sseHead(res);
      res.write(chatEvent(0)); // then nothing: only Sluice hanging up ends this
    });
    const stream = await postStream(`${sluice.baseURL}/chat/completions`, chatRequest);
    const call = await upstream.nextCall();
    for await (const event of stream.events) if (event.data !== undefined) break;
    stream.abort();
    await call.aborted;
  });

  it('pauses the upstream while the client does not read, with bounded memory, and resumes intact', async () => {
    // ~90 MiB in all: far more than socket buffers hold.
    const text = await numberedStreamHeldBack(sluice, upstream, chatRequest, 1500);
    assert.ok(
      text.endsWith('data: [DONE]\n\n\r\n0\r\n\r\n'),
      'ends with [DONE] and the last chunk',
    );
  });
});

describe('upstreams that break', () => {
  it('upstream dies mid-stream: the openai SDK raises, it does not end as a success', async () => {
    upstream.script(({ res }) => {
      sseHead(res);
      res.write(chatEvent(0) + chatEvent(1) + chatEvent(2));
      setImmediate(() => res.socket?.destroy());
    });
    const stream = await openai.chat.completions.create({ ...chatRequest, stream: true });
    let received = 0;
    await assert.rejects(async () => {
      for await (const _chunk of stream) received++;
    }, /connection broke mid-stream/);
    assert.equal(received, 3);
  });

  it('a clean end without [DONE] is a truncated stream, and is reported as one', async () => {
    upstream.script(async ({ res }) => {
      sseHead(res);
      await writeEvents(res, [chatEvent(0), chatEvent(1)]);
      res.end();
    });
    const stream = await openai.chat.completions.create({ ...chatRequest, stream: true });
    await assert.rejects(async () => {
      for await (const _chunk of stream);
    }, /ended before its final event/);
  });

  it('an upstream that keeps its connection open after [DONE] does not hold the client: the answer ends, the upstream is let go', async () => {
    // A client that reads to the end of the body (curl, a browser's reader) waited out the
    // idle timeout (minutes by default) for an answer that was complete.
    await afterDoneHeldOpen(async () => {
      const response = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(chatRequest),
      });
      const text = await response.text(); // to the end of the body
      assert.match(text, /data: \[DONE\]\n\n(?:: keepalive\n\n)*$/);
    });
  });

  it('an SDK that lets go after [DONE] got the whole answer: recorded done, not cancelled', async () => {
    await afterDoneHeldOpen(async () => {
      const stream = await openai.chat.completions.create(chatRequest);
      let received = 0;
      for await (const _chunk of stream) received++;
      assert.equal(received, 2);
    });
  });

  it('completes a final [DONE] that lacks its blank line, rather than reporting an error', async () => {
    upstream.script(({ res }) => {
      sseHead(res);
      res.end(chatEvent(0) + 'data: [DONE]');
    });
    const stream = await postStream(`${sluice.baseURL}/chat/completions`, chatRequest);
    assert.deepEqual(dataOf(await stream.all()), [JSON.stringify(CHUNKS[0]), '[DONE]']);
    assert.ok(stream.raw().endsWith('data: [DONE]\n\n'));
  });

  it('Responses and Anthropic streams end in their own error events', async () => {
    const cases = [
      {
        path: '/responses',
        event: formatEvent({
          event: 'response.created',
          data: '{"type":"response.created","sequence_number":0}',
        }),
        check: (events: { event: string | undefined; data: string | undefined }[]) => {
          const last = events.at(-1);
          assert.equal(last?.event, 'error');
          assert.equal(
            (JSON.parse(last.data ?? '') as { sequence_number: number }).sequence_number,
            1,
          );
        },
      },
      {
        path: '/messages',
        event: formatEvent({ event: 'message_start', data: '{"type":"message_start"}' }),
        check: (events: { event: string | undefined; data: string | undefined }[]) => {
          const last = events.at(-1);
          assert.equal(last?.event, 'error');
          assert.equal(
            (JSON.parse(last.data ?? '') as { error: { type: string } }).error.type,
            'api_error',
          );
        },
      },
    ];
    for (const { path, event, check } of cases) {
      upstream.script(({ res }) => {
        sseHead(res);
        res.write(event);
        setImmediate(() => res.socket?.destroy());
      });
      const stream = await postStream(`${sluice.baseURL}${path}`, {
        model: 'm',
        stream: true,
        input: 'hi',
        messages: [],
      });
      check((await stream.all()).filter((e) => e.data !== undefined));
    }
  });
});

/**
 * `read` against an upstream that sends two events and `[DONE]`, then keeps its connection open
 * until the test ends: once `read` is done, the upstream has been let go and the record says
 * `done`.
 */
async function afterDoneHeldOpen(read: () => Promise<void>): Promise<void> {
  const hold = deferred();
  let aborted: Promise<void> | undefined;
  upstream.script(async (call) => {
    aborted = call.aborted;
    sseHead(call.res);
    await writeEvents(call.res, [chatEvent(0), chatEvent(1), DONE]);
    await hold.promise;
  });
  try {
    await read();
    await aborted;
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.equal(record?.endReason, 'done');
  } finally {
    hold.resolve();
  }
}
