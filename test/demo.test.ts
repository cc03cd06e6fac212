/**
 * A fresh install with no upstream key: the built-in demo model answers through the whole
 * gateway, labelled as a demo; real model names get an error that says what to configure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';

let sluice: TestSluice;
let openai: OpenAI;

before(async () => {
  sluice = await startTestSluice();
  openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
});
after(() => sluice.stop());

describe('the demo model', () => {
  it('is the one model listed', async () => {
    const models = await openai.models.list();
    assert.deepEqual(
      models.data.map((m) => [m.id, m.owned_by]),
      [['sluice-demo', 'sluice-demo']],
    );
  });

  it('streams a chat answer that says it is a demo, with usage when asked', async () => {
    const stream = await openai.chat.completions.create({
      model: 'sluice-demo',
      messages: [{ role: 'user', content: 'Does streaming work?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    assert.match(text, /demo/i);
    assert.match(text, /OPENAI_API_KEY/);
    assert.ok(usage && usage.completion_tokens > 10);
  });

  it('answers the Responses API and Anthropic Messages too', async () => {
    const response = await openai.responses.create({ model: 'sluice-demo', input: 'hello' });
    assert.match(response.output_text, /demo/i);
    const anthropic = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    const message = await anthropic.messages
      .stream({
        model: 'sluice-demo',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hello' }],
      })
      .finalMessage();
    assert.equal(message.stop_reason, 'end_turn');
  });

  it('refuses a real model name with a hint about what to configure', async () => {
    await assert.rejects(
      openai.chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.NotFoundError);
        assert.match(error.message, /only the built-in demo model `sluice-demo`.*OPENAI_API_KEY/);
        return true;
      },
    );
  });

  it('says so on /healthz', async () => {
    const health = (await (await fetch(`${sluice.url}/healthz`)).json()) as { demo: unknown };
    assert.deepEqual(health.demo, ['openai', 'anthropic']);
  });
});
