/**
 * Bedrock's other models (Llama here) through its Converse API: a Claude-speaking client's
 * message, or an OpenAI client's chat translated to one, goes to `/model/<id>/converse(-stream)`
 * as a Converse request, and Converse's events come back as Anthropic's (and, translated, as
 * Chat chunks). The fake Bedrock checks the signature and streams Converse events in Amazon's
 * binary frames, cut at odd places.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import {
  CONVERSE_MODEL,
  CONVERSE_TEXT,
  CONVERSE_TOOL,
  CONVERSE_USAGE,
  CREDENTIALS,
  fakeBedrock,
  MODEL,
  REGION,
} from './support/fake-bedrock.ts';
import type { FakeUpstream } from './support/fake-upstream.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';

const weather = {
  name: CONVERSE_TOOL.name,
  description: 'The weather in a city',
  input_schema: {
    type: 'object' as const,
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};

let dir: string;
let bedrock: FakeUpstream;
let sluice: TestSluice;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-converse-'));
  bedrock = await fakeBedrock();
  const file = join(dir, 'config.json');
  await writeFile(
    file,
    JSON.stringify({
      upstreams: [
        {
          name: 'bedrock',
          family: 'anthropic',
          baseUrl: bedrock.origin,
          aws: { region: REGION },
          models: [MODEL, CONVERSE_MODEL],
        },
      ],
    }),
  );
  sluice = await startTestSluice({ SLUICE_CONFIG: file, ...CREDENTIALS });
});
after(async () => {
  await sluice.stop();
  await bedrock.stop();
  await rm(dir, { recursive: true, force: true });
});

const claude = () => new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
const message = {
  model: CONVERSE_MODEL,
  max_tokens: 64,
  system: 'Be brief.',
  messages: [{ role: 'user' as const, content: 'hi' }],
};

describe('Bedrock’s other models, through Converse', () => {
  it('streams to the Anthropic client: Converse’s request out, its events back as Anthropic’s', async () => {
    const answer = await claude().messages.stream(message).finalMessage();
    assert.deepEqual(answer.content, [{ type: 'text', text: CONVERSE_TEXT }]);
    assert.equal(answer.stop_reason, 'end_turn');
    assert.equal(answer.usage.input_tokens, CONVERSE_USAGE.inputTokens);
    assert.equal(answer.usage.output_tokens, CONVERSE_USAGE.outputTokens);
    const sent = bedrock.calls.at(-1);
    assert.equal(sent?.path, `/model/${encodeURIComponent(CONVERSE_MODEL)}/converse-stream`);
    assert.deepEqual(sent.json, {
      messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 64 },
    });
  });

  it('a tool call streams as tool_use, its arguments whole at the end', async () => {
    const answer = await claude()
      .messages.stream({ ...message, tools: [weather], tool_choice: { type: 'any' } })
      .finalMessage();
    assert.equal(answer.stop_reason, 'tool_use');
    const call = answer.content.find((b) => b.type === 'tool_use');
    assert.deepEqual(call?.input, CONVERSE_TOOL.input);
    assert.equal(call.name, CONVERSE_TOOL.name);
    assert.deepEqual(bedrock.calls.at(-1)?.json?.['toolConfig'], {
      tools: [
        {
          toolSpec: {
            name: weather.name,
            description: weather.description,
            inputSchema: { json: weather.input_schema },
          },
        },
      ],
      toolChoice: { any: {} },
    });
  });

  it('answers whole through /converse, as a Messages answer', async () => {
    const answer = await claude().messages.create(message);
    assert.equal(answer.content[0]?.type === 'text' ? answer.content[0].text : '', CONVERSE_TEXT);
    assert.equal(answer.model, CONVERSE_MODEL);
    assert.equal(answer.usage.output_tokens, CONVERSE_USAGE.outputTokens);
    assert.equal(
      bedrock.calls.at(-1)?.path,
      `/model/${encodeURIComponent(CONVERSE_MODEL)}/converse`,
    );
  });

  it('a whole answer that cannot be made into a Messages answer is a 502 before anything is sent', async () => {
    // `null`, or one past the 16 MiB held to be translated: the 200 and its headers had gone
    // out, so the client saw a connection cut, not an error it could read.
    for (const [maxTokens, said] of [
      [16, /not a JSON object/],
      [17, /past 16 MiB/],
    ] as const) {
      await assert.rejects(
        claude().messages.create({ ...message, max_tokens: maxTokens }),
        (error: unknown) =>
          error instanceof Anthropic.APIError && error.status === 502 && said.test(error.message),
      );
      await sluice.running.settled();
      const [record] = await sluice.running.store.listUsage({ limit: 1 });
      assert.deepEqual([record?.status, record?.endReason], [502, 'upstream_error']);
    }
  });

  it('an OpenAI client’s chat, translated twice: text, a tool call and usage in Chat chunks', async () => {
    const openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: CONVERSE_MODEL,
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: { name: weather.name, parameters: weather.input_schema },
        },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let args = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? '';
      args += choice?.delta.tool_calls?.[0]?.function?.arguments ?? '';
      finish = choice?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, CONVERSE_TEXT);
    assert.deepEqual(JSON.parse(args), CONVERSE_TOOL.input);
    assert.equal(finish, 'tool_calls');
    assert.equal(usage?.prompt_tokens, CONVERSE_USAGE.inputTokens);
    assert.equal(usage.completion_tokens, CONVERSE_USAGE.outputTokens);
  });

  it('a Responses client too: Responses → Chat → Messages → Converse, and back', async () => {
    const openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
    const stream = await openai.responses.create({
      model: CONVERSE_MODEL,
      input: 'hi',
      stream: true,
    });
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    assert.equal(text, CONVERSE_TEXT);
    assert.equal(completed?.usage?.input_tokens, CONVERSE_USAGE.inputTokens);
    assert.equal(completed.usage.output_tokens, CONVERSE_USAGE.outputTokens);
  });

  it('meters Converse’s usage in the records', async () => {
    await sluice.running.settled();
    const records = await sluice.running.store.listUsage({ limit: 50 });
    const converse = records.filter((r) => r.model === CONVERSE_MODEL && r.status === 200);
    assert.ok(converse.length >= 5, JSON.stringify(records.map((r) => r.model)));
    for (const r of converse) {
      assert.equal(r.promptTokens, CONVERSE_USAGE.inputTokens, r.id);
      assert.equal(r.completionTokens, CONVERSE_USAGE.outputTokens, r.id);
      assert.equal(r.usageSource, 'upstream', r.id);
    }
  });

  it('an exception mid-stream reaches the client as Anthropic’s error event', async () => {
    await assert.rejects(
      claude()
        .messages.stream({ ...message, max_tokens: 13 })
        .finalMessage(),
      /The model stream broke off\./,
    );
  });

  it('a stream cut inside its last frame is a broken stream, not a success with no usage', async () => {
    // The cut frame was Converse's metadata: the client got a clean end with 0 tokens, and the
    // record said done, usage from the upstream, 0.
    await assert.rejects(
      claude()
        .messages.stream({ ...message, max_tokens: 14 })
        .finalMessage(),
      /ended inside a message/,
    );
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.equal(record?.endReason, 'upstream_error');
  });

  it('Bedrock’s refusal reaches each client in its own shape, its words kept, its ARNs hidden', async () => {
    // It went to an Anthropic client as Bedrock's {"message"}, which the SDK could not read;
    // a Chat client got "an error without a message"; both with the account's ARN.
    const refusal = /The provided model identifier is invalid for \(hidden\)\./;
    await assert.rejects(
      claude().messages.create({ ...message, max_tokens: 15 }),
      (error: unknown) =>
        error instanceof Anthropic.BadRequestError &&
        refusal.test(error.message) &&
        !error.message.includes('123456789012'),
    );
    const openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
    await assert.rejects(
      openai.chat.completions.create({
        model: CONVERSE_MODEL,
        max_completion_tokens: 15,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && refusal.test(error.message),
    );
  });

  it('what Converse cannot carry is a 400 naming the field, and nothing is sent', async () => {
    const before = bedrock.calls.length;
    await assert.rejects(
      claude().messages.create({
        ...message,
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }],
          },
        ],
      }),
      (error: unknown) => {
        assert.ok(error instanceof Anthropic.APIError, String(error));
        assert.equal(error.status, 400);
        assert.match(error.message, /messages\[0\]\.content\[0\]\.source\.type/);
        assert.match(error.message, /Bedrock takes images as bytes, not by URL/);
        return true;
      },
    );
    assert.equal(bedrock.calls.length, before);
  });

  it('Claude on the same entry still goes through invoke', async () => {
    const answer = await claude().messages.create({ ...message, model: MODEL });
    assert.equal(answer.content[0]?.type === 'text' ? answer.content[0].text : '', 'Hello!');
    assert.match(bedrock.calls.at(-1)?.path ?? '', /\/invoke$/);
  });
});
