/**
 * Backpressure holds on translated streams exactly as on relayed ones: a client that stops
 * reading pauses Sluice's read of the upstream (in the other family's dialect), Sluice holds a
 * bounded amount for it, and when the client reads again every event arrives, once, in order.
 * Without the pause the upstream would finish into Sluice's memory.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatEvent } from '../src/sse/index.ts';
import { type FakeUpstream, sseHead, startFakeUpstream } from './support/fake-upstream.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';
import { metric, waitFor } from './support/wait.ts';

const EVENTS = 1200;
const PAD = 'x'.repeat(60 * 1024); // ~70 MiB in all: far more than socket buffers hold

interface Progress {
  written: number;
  blocked: boolean;
  finished: boolean;
}

/** Writes `events` as fast as the socket takes them, noting when it must wait. */
async function writeAll(res: ServerResponse, events: Iterable<string>, progress: Progress) {
  sseHead(res);
  for (const event of events) {
    if (res.destroyed) return;
    progress.written += Buffer.byteLength(event);
    if (!res.write(event)) {
      progress.blocked = true;
      await once(res, 'drain');
      progress.blocked = false;
    }
  }
  res.end();
  progress.finished = true;
}

function* anthropicEvents(): Generator<string> {
  const event = (payload: Record<string, unknown>) =>
    formatEvent({ event: String(payload.type), data: JSON.stringify(payload) });
  yield event({
    type: 'message_start',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [],
      stop_reason: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    },
  });
  yield event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  for (let i = 0; i < EVENTS; i++)
    yield event({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: `<${i}>${PAD}` },
    });
  yield event({ type: 'content_block_stop', index: 0 });
  yield event({
    type: 'message_delta',
    delta: { stop_reason: 'end_turn' },
    usage: { output_tokens: EVENTS },
  });
  yield event({ type: 'message_stop' });
}

function* chatEvents(): Generator<string> {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    formatEvent({
      data: JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'gpt-4.1-mini',
        choices: [{ index: 0, delta, finish_reason: finish }],
      }),
    });
  yield chunk({ role: 'assistant', content: '' });
  for (let i = 0; i < EVENTS; i++) yield chunk({ content: `<${i}>${PAD}` });
  yield chunk({}, 'stop');
  yield formatEvent({
    data: JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4.1-mini',
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: EVENTS, total_tokens: EVENTS + 5 },
    }),
  });
  yield formatEvent({ data: '[DONE]' });
}

/**
 * Posts `body` on a raw socket, stops reading after the first bytes, checks the upstream is
 * held back, then reads the rest; returns the whole response text.
 */
async function stallThenRead(
  sluice: TestSluice,
  path: string,
  body: object,
  progress: Progress,
): Promise<string> {
  const socket = connect(Number(new URL(sluice.url).port), '127.0.0.1');
  await once(socket, 'connect');
  const json = JSON.stringify(body);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: sluice\r\nConnection: close\r\n` +
      `Authorization: Bearer ${ADMIN_KEY}\r\nx-api-key: ${ADMIN_KEY}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
  );
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  await once(socket, 'data');
  socket.pause();

  await waitFor(
    async () => progress.blocked && (await metric(sluice.url, 'sluice_streams_paused')) === 1,
    { what: 'the upstream blocked and the stream paused' },
  );
  assert.equal(progress.finished, false, 'the upstream is held back');
  assert.ok(
    progress.written < (EVENTS * PAD.length) / 4,
    `${progress.written} bytes written while paused`,
  );
  const buffered = await metric(sluice.url, 'sluice_client_buffered_bytes');
  assert.ok(buffered <= 256 * 1024, `Sluice holds ${buffered} bytes for the stalled client`);

  socket.resume();
  await once(socket, 'end');
  assert.equal(progress.finished, true);
  return Buffer.concat(received).toString();
}

const inOrder = (text: string) => {
  assert.deepEqual(
    [...text.matchAll(/<(\d+)>x/g)].map((m) => Number(m[1])),
    Array.from({ length: EVENTS }, (_, i) => i),
    'every delta, once, in order',
  );
};

describe('backpressure on translated streams', () => {
  let upstream: FakeUpstream;
  let sluice: TestSluice;
  let dir: string;
  before(async () => {
    upstream = await startFakeUpstream();
    dir = await mkdtemp(join(tmpdir(), 'sluice-translated-'));
    const config = join(dir, 'sluice.json');
    // Each family serves only its own models, so each request below is translated.
    await writeFile(
      config,
      JSON.stringify({
        upstreams: [
          { name: 'openai', baseUrl: upstream.origin, apiKey: 'sk-o', models: ['gpt-*'] },
          {
            name: 'anthropic',
            family: 'anthropic',
            baseUrl: upstream.origin,
            apiKey: 'sk-a',
            models: ['claude-*'],
          },
        ],
      }),
    );
    sluice = await startTestSluice({ SLUICE_CONFIG: config });
  });
  after(async () => {
    await sluice.stop();
    await upstream.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('Chat Completions client, Anthropic upstream: paused, bounded, every chunk after', async () => {
    const progress: Progress = { written: 0, blocked: false, finished: false };
    upstream.script(({ res }) => writeAll(res, anthropicEvents(), progress));
    const text = await stallThenRead(
      sluice,
      '/v1/chat/completions',
      { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      progress,
    );
    assert.equal(upstream.calls.at(-1)?.path, '/v1/messages');
    inOrder(text);
    assert.match(text, /data: \[DONE\]\n\n/);
  });

  it('Messages client, OpenAI-family upstream: paused, bounded, every event after', async () => {
    const progress: Progress = { written: 0, blocked: false, finished: false };
    upstream.script(({ res }) => writeAll(res, chatEvents(), progress));
    const text = await stallThenRead(
      sluice,
      '/v1/messages',
      {
        model: 'gpt-4.1-mini',
        max_tokens: 10,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      },
      progress,
    );
    assert.equal(upstream.calls.at(-1)?.path, '/v1/chat/completions');
    inOrder(text);
    assert.match(text, /event: message_stop\n/);
  });
});
