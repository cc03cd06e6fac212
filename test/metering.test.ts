/**
 * Every request leaves one usage record, with the upstream's token counts when it reports them
 * and an estimate (marked as one) when it does not — and clients see exactly what they would
 * have seen without Sluice, even though Sluice always asks the upstream for usage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { formatEvent } from '../src/sse/index.ts';
import type { UsageRecord } from '../src/store/index.ts';
import {
  chatChunksFor,
  chatStream,
  fixturePayloads,
  namedStream,
} from './support/chat-fixtures.ts';
import {
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
  writeEvents,
} from './support/fake-upstream.ts';
import { testDatabase } from './support/postgres.ts';
import { keyFor, sluiceFor, type TestSluice } from './support/sluice.ts';

let upstream: FakeUpstream;
let sluice: TestSluice;
let key: string;
let openai: OpenAI;

before(async () => {
  upstream = await startFakeUpstream();
});
after(() => upstream.stop());

/** The same suite on both stores: SQLite (the default) and PostgreSQL. */
const backends = [
  {
    name: 'SQLite',
    env: () => Promise.resolve({ env: {}, drop: () => Promise.resolve() }),
  },
  {
    name: 'PostgreSQL',
    env: async () => {
      const database = await testDatabase();
      return { env: { DATABASE_URL: database.url }, drop: () => database.drop() };
    },
  },
];

/** A streamed `/v1/messages` request as Anthropic's clients send it, read to its end. */
async function streamMessages(model: string): Promise<void> {
  const response = await fetch(`${sluice.url}/v1/messages`, {
    method: 'POST',
    headers: {
      'x-api-key': key,
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
    },
    body: JSON.stringify({
      model,
      max_tokens: 100,
      stream: true,
      messages: [{ role: 'user', content: 'ping' }],
    }),
  });
  await response.text();
}

/** The newest record, once every request so far has been written. */
async function lastRecord(): Promise<UsageRecord> {
  await sluice.running.settled();
  const [record] = await sluice.running.store.listUsage({ limit: 1 });
  assert.ok(record);
  return record;
}

const FIXTURE = 'openai-chat/openai-text.chunks.txt';
const chat = {
  model: 'gpt-4.1-nano',
  messages: [{ role: 'user' as const, content: 'Suggest a holiday name' }],
};

for (const backend of backends)
  describe(`usage records (${backend.name})`, () => {
    let drop: () => Promise<void>;
    before(async () => {
      const { env, drop: dropDatabase } = await backend.env();
      drop = dropDatabase;
      sluice = await sluiceFor(upstream.origin, env);
      key = await keyFor(sluice, 'ada');
      openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: key, maxRetries: 0 });
    });
    after(async () => {
      await sluice.stop();
      await drop();
    });

    it('a chat stream without include_usage: the upstream is asked for usage, the client never sees it', async () => {
      upstream.script(chatStream(FIXTURE));
      const stream = await openai.chat.completions.create({ ...chat, stream: true });
      const received: unknown[] = [];
      for await (const chunk of stream) received.push(chunk);

      assert.deepEqual(
        received,
        chatChunksFor(FIXTURE, false),
        'exactly what OpenAI sends without include_usage',
      );
      const sent = upstream.calls.at(-1)?.json as { stream_options?: unknown };
      assert.deepEqual(sent.stream_options, { include_usage: true }, 'Sluice asked for usage');

      const record = await lastRecord();
      assert.equal(record.username, 'ada');
      assert.equal(record.keyPrefix, key.slice(0, 16));
      assert.equal(record.model, 'gpt-4.1-nano');
      assert.equal(record.endpoint, '/v1/chat/completions');
      assert.equal(record.endReason, 'done');
      assert.equal(record.usageSource, 'upstream');
      assert.equal(record.promptTokens, 16);
      assert.equal(record.completionTokens, 300);
      assert.equal(
        record.events,
        chatChunksFor(FIXTURE, true).length + 1,
        'every chunk, usage and [DONE] included',
      );
      assert.ok(record.clientTtfbMs !== null && record.upstreamTtfbMs !== null);
      assert.ok(record.cost !== null && record.cost > 0, 'gpt-4.1-nano has a price');
      assert.equal(record.clientIp, '127.0.0.1');
    });

    it('an event past 32 MiB passes through, and the stream is still metered from what follows it', async () => {
      // The framer gave up on the rest of the stream: no usage was read, and the record said
      // done with an estimate from the text before the large event.
      upstream.script(async ({ res }) => {
        const [first, ...rest] = chatChunksFor(FIXTURE, true);
        sseHead(res);
        const large = {
          ...first,
          choices: [{ index: 0, delta: { content: 'x'.repeat(33 << 20) } }],
        };
        await writeEvents(res, [
          formatEvent({ data: JSON.stringify(first) }),
          formatEvent({ data: JSON.stringify(large) }),
          ...rest.map((c) => formatEvent({ data: JSON.stringify(c) })),
          formatEvent({ data: '[DONE]' }),
        ]);
        res.end();
      });
      const response = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...chat, stream: true }),
      });
      const text = await response.text();
      assert.ok(text.length > 33 << 20, 'the large event reached the client');
      assert.match(text, /data: \[DONE\]\n\n$/);
      const record = await lastRecord();
      assert.deepEqual(
        [record.endReason, record.usageSource, record.promptTokens, record.completionTokens],
        ['done', 'upstream', 16, 300],
      );
    });

    it('a client that asked for usage gets it, and the record matches it', async () => {
      upstream.script(chatStream(FIXTURE));
      const stream = await openai.chat.completions.create({
        ...chat,
        stream: true,
        stream_options: { include_usage: true },
      });
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) usage = chunk.usage ?? usage;
      const record = await lastRecord();
      assert.ok(usage);
      assert.equal(usage.completion_tokens, record.completionTokens);
      assert.equal(usage.prompt_tokens, record.promptTokens);
    });

    it("xAI counts reasoning outside completion_tokens: it is billed as output, at xAI's own cost", async () => {
      const xai = 'openai-compatible-chat/xai-text.chunks.txt';
      upstream.script(chatStream(xai));
      const stream = await openai.chat.completions.create({
        ...chat,
        model: 'grok-3-mini',
        stream: true,
      });
      for await (const _chunk of stream);
      const record = await lastRecord();
      // The recorded usage: 12 prompt (11 cached), 2 completion + 340 reasoning, 354 in all.
      assert.equal(record.promptTokens, 12);
      assert.equal(record.completionTokens, 342);
      assert.equal(record.reasoningTokens, 340);
      // xAI reported what it charged: 1 721 250 ticks of 1e-10 USD.
      const usage = fixturePayloads(xai).at(-1)?.usage as { cost_in_usd_ticks: number };
      assert.ok(
        Math.abs((record.cost ?? 0) - usage.cost_in_usd_ticks * 1e-10) < 1e-12,
        `${String(record.cost)} against xAI's ${String(usage.cost_in_usd_ticks * 1e-10)}`,
      );
    });

    it("Gemini's OpenAI-compatible API counts thinking only in total_tokens: it is billed as output", async () => {
      // As Google's endpoint streams `gemini-3-flash-preview` with a 100-token limit (chunks
      // quoted on discuss.ai.google.dev, topic 127400): cumulative usage on every chunk, no
      // `reasoning_tokens`, the thinking only in `total_tokens` — 9 prompt + 100 output, of
      // which 3 visible, when the token limit cut it.
      const base = {
        id: 'Q9ugadePBtbAqtsPx5e1iAE',
        created: 1772149571,
        object: 'chat.completion.chunk',
      };
      const chunk = (delta: object, finish: string | null, completion: number, total: number) => ({
        ...base,
        model: 'gemini-3-flash-preview',
        choices: [{ delta, index: 0, ...(finish === null ? {} : { finish_reason: finish }) }],
        usage: { completion_tokens: completion, prompt_tokens: 9, total_tokens: total },
      });
      const chunks = [
        chunk({ content: '1', role: 'assistant' }, null, 1, 103),
        chunk({ content: ', ', role: 'assistant' }, null, 3, 105),
        chunk(
          { extra_content: { google: { thought_signature: 'c2ln' } }, role: 'assistant' },
          'length',
          3,
          109,
        ),
      ];
      upstream.script(async ({ res }) => {
        sseHead(res);
        await writeEvents(res, [
          ...chunks.map((c) => formatEvent({ data: JSON.stringify(c) })),
          formatEvent({ data: '[DONE]' }),
        ]);
        res.end();
      });
      const stream = await openai.chat.completions.create({
        ...chat,
        model: 'gemini-3-flash-preview',
        max_completion_tokens: 100,
        stream: true,
        stream_options: { include_usage: true },
      });
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const received of stream) usage = received.usage ?? usage;
      assert.deepEqual(usage, chunks.at(-1)?.usage, 'the client gets Google’s usage as it is');
      const record = await lastRecord();
      assert.equal(record.promptTokens, 9);
      assert.equal(record.completionTokens, 100, 'all 100 it was allowed, thinking included');
      assert.equal(record.reasoningTokens, 97);
    });

    it('compacting a conversation (what Codex asks for) is a model call: served to a user key and charged', async () => {
      const usage = { input_tokens: 1200, output_tokens: 300, total_tokens: 1500 };
      upstream.script(
        jsonReply(200, {
          id: 'resp_compact',
          object: 'response.compaction',
          created_at: 1_764_000_000,
          output: [{ type: 'compaction', id: 'cmp_1', encrypted_content: 'opaque' }],
          usage,
        }),
      );
      // Not an admin: no route grant is needed for a model call.
      const user = new OpenAI({
        baseURL: sluice.baseURL,
        apiKey: await keyFor(sluice, 'codex-user'),
        maxRetries: 0,
      });
      const compacted = await user.responses.compact({
        model: 'gpt-4.1-nano',
        input: [{ role: 'user', content: 'a long conversation' }],
      });
      assert.equal(compacted.object, 'response.compaction');
      assert.equal(upstream.calls.at(-1)?.path, '/v1/responses/compact');
      const record = await lastRecord();
      assert.equal(record.username, 'codex-user');
      assert.equal(record.endpoint, '/v1/responses/compact');
      assert.equal(record.model, 'gpt-4.1-nano');
      assert.equal(record.usageSource, 'upstream');
      assert.equal(record.promptTokens, 1200);
      assert.equal(record.completionTokens, 300);
      assert.ok(record.cost !== null && record.cost > 0);
    });

    it('a cancelled stream is billed for what was generated before the cancel, as an estimate', async () => {
      const chunks = chatChunksFor(FIXTURE, true);
      upstream.script(({ res }) => {
        sseHead(res);
        for (const c of chunks.slice(0, 40)) res.write(formatEvent({ data: JSON.stringify(c) }));
      });
      const stream = await openai.chat.completions.create({ ...chat, stream: true });
      let seen = 0;
      for await (const _chunk of stream) if (++seen === 40) break;
      const record = await lastRecord();
      assert.equal(record.endReason, 'client_cancelled');
      assert.equal(record.usageSource, 'estimate');
      // 39 content chunks of one token each (the first chunk carries only the role).
      assert.ok(
        record.completionTokens >= 30 && record.completionTokens <= 45,
        `${record.completionTokens}`,
      );
      assert.ok(record.promptTokens > 0);
    });

    it('an upstream that reports no usage at all (a self-hosted server): estimated', async () => {
      const chunks = chatChunksFor(FIXTURE, false);
      upstream.script(({ res }) => {
        sseHead(res);
        res.end(
          chunks.map((c) => formatEvent({ data: JSON.stringify(c) })).join('') +
            formatEvent({ data: '[DONE]' }),
        );
      });
      const stream = await openai.chat.completions.create({ ...chat, stream: true });
      for await (const _chunk of stream);
      const record = await lastRecord();
      assert.equal(record.endReason, 'done');
      assert.equal(record.usageSource, 'estimate');
      assert.ok(
        Math.abs(record.completionTokens - 300) <= 15,
        `estimated ${record.completionTokens} of 300`,
      );
    });

    it('Responses and Anthropic streams are counted from their own usage events', async () => {
      upstream.script(namedStream('openai-responses/openai-phase.1.chunks.txt'));
      for await (const _event of await openai.responses.create({
        model: 'gpt-5',
        input: 'hi',
        stream: true,
      }));
      const responses = await lastRecord();
      assert.deepEqual(
        [
          responses.promptTokens,
          responses.completionTokens,
          responses.cachedTokens,
          responses.reasoningTokens,
          responses.usageSource,
        ],
        [7112, 463, 3072, 64, 'upstream'],
      );

      upstream.script(
        namedStream('anthropic-messages/anthropic-message-delta-input-tokens.chunks.txt'),
      );
      await streamMessages('claude-opus-4-5');
      const anthropic = await lastRecord();
      assert.deepEqual(
        [anthropic.promptTokens, anthropic.completionTokens, anthropic.usageSource],
        [61, 2, 'upstream'],
      );
      assert.equal(anthropic.endpoint, '/v1/messages');
    });

    it('Anthropic prompt-cache writes cost more than input: 1.25 × kept 5 minutes, 2 × an hour', async () => {
      // The recorded stream with a prompt that was partly read from the cache and partly written
      // to it; message_delta repeats the totals without the split, as Anthropic's does.
      const totals = {
        input_tokens: 1000,
        cache_read_input_tokens: 2000,
        cache_creation_input_tokens: 4000,
      };
      const split = { ephemeral_5m_input_tokens: 3000, ephemeral_1h_input_tokens: 1000 };
      const events = fixturePayloads('anthropic-messages/anthropic-text.chunks.txt').map((p) => {
        if (p.type === 'message_start') {
          const message = p.message as { usage: Record<string, unknown> };
          const usage = { ...message.usage, ...totals, cache_creation: split };
          return { ...p, message: { ...message, usage } };
        }
        if (p.type === 'message_delta') return { ...p, usage: { ...totals, output_tokens: 30 } };
        return p;
      });
      upstream.script(async ({ res }) => {
        sseHead(res);
        await writeEvents(
          res,
          events.map((p) => formatEvent({ event: String(p.type), data: JSON.stringify(p) })),
        );
        res.end();
      });
      await streamMessages('claude-sonnet-4-5');
      const record = await lastRecord();
      assert.deepEqual(
        [record.promptTokens, record.cachedTokens, record.completionTokens],
        [7000, 2000, 30],
      );
      // claude-sonnet-4*: $3 input, $0.3 cached, $15 output per million.
      const expected = (1000 * 3 + 2000 * 0.3 + 3000 * 3 * 1.25 + 1000 * 3 * 2 + 30 * 15) / 1e6;
      assert.ok(
        Math.abs((record.cost ?? 0) - expected) < 1e-12,
        `${String(record.cost)} ≠ ${expected}`,
      );
    });

    it('a non-streamed answer is counted from its body', async () => {
      const completion = fixturePayloads(FIXTURE).at(-1) as { usage: unknown };
      upstream.script(
        jsonReply(200, {
          id: 'c',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-4.1-nano',
          choices: [],
          usage: completion.usage,
        }),
      );
      await openai.chat.completions.create(chat);
      const record = await lastRecord();
      assert.deepEqual(
        [record.promptTokens, record.completionTokens, record.usageSource, record.events],
        [16, 300, 'upstream', 0],
      );
    });

    it('a whole answer too long to parse (embeddings past 8 MiB) is counted from the usage at its end', async () => {
      // Past 8 MiB the body was not read at all: a batch of embeddings went unmetered.
      const vector = Buffer.alloc(48 * 1024, 7).toString('base64');
      const data = Array.from({ length: 200 }, (_, index) => ({
        object: 'embedding',
        index,
        embedding: vector,
      }));
      upstream.script(({ res }) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        // Pretty-printed, as OpenAI sends embeddings.
        res.end(
          JSON.stringify(
            {
              object: 'list',
              data,
              model: 'text-embedding-3-small',
              usage: { prompt_tokens: 4096, total_tokens: 4096 },
            },
            null,
            2,
          ),
        );
      });
      const result = await openai.embeddings.create({
        model: 'text-embedding-3-small',
        input: Array.from({ length: 200 }, () => 'text'),
      });
      assert.equal(result.data.length, 200);
      const record = await lastRecord();
      assert.deepEqual([record.promptTokens, record.usageSource], [4096, 'upstream']);
    });

    it('a chat model’s audio is billed at its audio rates, its text at text rates', async () => {
      upstream.script(
        jsonReply(200, {
          id: 'c',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-4o-audio-preview-2025-06-03',
          choices: [],
          usage: {
            prompt_tokens: 120,
            completion_tokens: 300,
            total_tokens: 420,
            prompt_tokens_details: { cached_tokens: 0, audio_tokens: 100 },
            completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 250 },
          },
        }),
      );
      await openai.chat.completions.create({
        model: 'gpt-4o-audio-preview',
        modalities: ['text', 'audio'],
        audio: { voice: 'alloy', format: 'wav' },
        messages: [{ role: 'user', content: 'Say hello' }],
      });
      const record = await lastRecord();
      // gpt-4o-audio-preview: text $2.5 / $10, audio $40 / $80 per million.
      const expected = (20 * 2.5 + 100 * 40 + 50 * 10 + 250 * 80) / 1e6;
      assert.ok(Math.abs((record.cost ?? 0) - expected) < 1e-12, String(record.cost));
    });

    it('DALL·E, which reports no usage, is billed by the image made, by size and quality', async () => {
      const images = (count: number) =>
        jsonReply(200, {
          created: 1,
          data: Array.from({ length: count }, (_, i) => ({ url: `https://img.example/${i}.png` })),
        });
      const costOfLast = async () => (await lastRecord()).cost ?? Number.NaN;
      upstream.script(images(2));
      await openai.images.generate({
        model: 'dall-e-3',
        prompt: 'a sluice gate',
        size: '1792x1024',
        quality: 'hd',
      });
      assert.ok(Math.abs((await costOfLast()) - 2 * 0.12) < 1e-9, 'the images the answer holds');
      upstream.script(images(3));
      await openai.images.generate({ model: 'dall-e-2', prompt: 'a sluice gate', n: 3 });
      assert.ok(Math.abs((await costOfLast()) - 3 * 0.02) < 1e-9, '1024x1024 by default');
      // An edit is a form, whose size is not read: the most a dall-e-2 image costs.
      upstream.script(images(1));
      await openai.images.edit({
        model: 'dall-e-2',
        prompt: 'add a boat',
        image: await toFile(Buffer.from('not really a png'), 'gate.png', { type: 'image/png' }),
        size: '256x256',
      });
      assert.ok(Math.abs((await costOfLast()) - 0.02) < 1e-9);
    });

    it('a cost budget is spent by images too: it refuses once they used it up', async () => {
      const budgeted = new OpenAI({
        baseURL: sluice.baseURL,
        apiKey: await keyFor(sluice, 'painter', { keyLimits: { budgetCost: 0.1 } }),
        maxRetries: 0,
      });
      upstream.script(jsonReply(200, { created: 1, data: [{ url: 'https://img.example/0.png' }] }));
      const paint = () =>
        budgeted.images.generate({ model: 'dall-e-3', prompt: 'a gate', quality: 'hd' });
      await paint(); // $0.08
      await paint(); // $0.16: over the budget now
      await sluice.running.settled();
      await assert.rejects(paint(), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 429);
        assert.equal(error.code, 'insufficient_quota');
        return true;
      });
    });

    it('refused requests leave a record too', async () => {
      const response = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-sluice-nope', 'content-type': 'application/json' },
        body: JSON.stringify(chat),
      });
      assert.equal(response.status, 401);
      const refused = await lastRecord();
      assert.equal(refused.endReason, 'rejected');
      assert.equal(refused.status, 401);
      assert.equal(refused.userId, null);

      const bad = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{"model": ',
      });
      assert.equal(bad.status, 400);
      const malformed = await lastRecord();
      assert.deepEqual(
        [malformed.endReason, malformed.status, malformed.username],
        ['rejected', 400, 'ada'],
      );
    });

    it('an upstream that fails mid-stream leaves upstream_error and an estimate', async () => {
      const chunks = chatChunksFor(FIXTURE, true);
      upstream.script(({ res }) => {
        sseHead(res);
        res.write(
          chunks
            .slice(0, 10)
            .map((c) => formatEvent({ data: JSON.stringify(c) }))
            .join(''),
        );
        setImmediate(() => res.socket?.destroy());
      });
      await assert.rejects(async () => {
        for await (const _chunk of await openai.chat.completions.create({ ...chat, stream: true }));
      });
      const record = await lastRecord();
      assert.equal(record.endReason, 'upstream_error');
      assert.equal(record.usageSource, 'estimate');
      assert.ok(record.completionTokens > 0);
    });
  });
