/**
 * Backpressure holds on translated streams exactly as on relayed ones: a client that stops
 * reading pauses Sluice's read of the upstream (in the other family's dialect), Sluice holds a
 * bounded amount for it, and when the client reads again every event arrives, once, in order.
 * Without the pause the upstream would finish into Sluice's memory.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatEvent } from '../src/sse/index.ts';
import { newProgress, stallThenRead, writeAll } from './support/backpressure.ts';
import { type FakeUpstream, startFakeUpstream } from './support/fake-upstream.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';

const EVENTS = 1200;
const PAD = 'x'.repeat(60 * 1024); // ~70 MiB in all: far more than socket buffers hold

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
    const progress = newProgress();
    upstream.script(({ res }) => writeAll(res, anthropicEvents(), progress));
    const text = await stallThenRead(
      sluice,
      '/v1/chat/completions',
      { model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      progress,
      EVENTS * PAD.length,
    );
    assert.equal(upstream.calls.at(-1)?.path, '/v1/messages');
    inOrder(text);
    assert.match(text, /data: \[DONE\]\n\n/);
  });

  it('Messages client, OpenAI-family upstream: paused, bounded, every event after', async () => {
    const progress = newProgress();
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
      EVENTS * PAD.length,
    );
    assert.equal(upstream.calls.at(-1)?.path, '/v1/chat/completions');
    inOrder(text);
    assert.match(text, /event: message_stop\n/);
  });
});
