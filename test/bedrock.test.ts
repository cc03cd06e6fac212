/**
 * Claude on Amazon Bedrock (`"aws": {"region": …}`): clients speak Anthropic's API to Sluice;
 * Sluice speaks Bedrock's, as Anthropic's own `AnthropicBedrock` client does — the model and
 * `stream` in the path, `anthropic_version` in the body, every request signed with SigV4 — and
 * turns Bedrock's binary event stream back into Anthropic's SSE. A fake Bedrock checks each
 * signature (the signer is checked against AWS's published vectors in `sigv4.test.ts`) and
 * streams a recorded Anthropic stream in Bedrock's frames, cut at odd places.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { loadConfig } from '../src/config/index.ts';
import { ConfigError } from '../src/errors/index.ts';
import { messagesText } from './support/chat-fixtures.ts';
import { CREDENTIALS, FIXTURE, fakeBedrock, MODEL, REGION } from './support/fake-bedrock.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-bedrock-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function sluiceWith(
  upstream: Record<string, unknown>,
  env: Record<string, string> = CREDENTIALS,
): Promise<TestSluice> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify({ upstreams: [upstream] }));
  return startTestSluice({ SLUICE_CONFIG: file, ...env });
}

const entry = (origin: string) => ({
  name: 'bedrock',
  family: 'anthropic',
  baseUrl: origin,
  aws: { region: REGION },
  models: [MODEL],
});

const message = {
  model: MODEL,
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'hi' }],
};

describe('Claude on Amazon Bedrock', () => {
  it('streams, answers whole, counts and lists through Bedrock’s routes, signed', async () => {
    const upstream = await fakeBedrock();
    const sluice = await sluiceWith(entry(upstream.origin));
    const claude = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    try {
      const betas = { 'anthropic-beta': 'context-1m-2025-08-07, interleaved-thinking-2025-05-14' };
      const streamed = await claude.messages.stream(message, { headers: betas }).finalMessage();
      const block = streamed.content[0];
      assert.equal(block?.type === 'text' ? block.text : '', messagesText(FIXTURE));
      const sent = upstream.calls.at(-1);
      assert.ok(sent?.json !== undefined);
      assert.equal(sent.json['model'], undefined, 'the model goes in the path');
      assert.equal(sent.json['stream'], undefined, 'so does whether it streams');
      assert.equal(sent.json['anthropic_version'], 'bedrock-2023-05-31');
      // Bedrock takes the beta flags in the body.
      assert.deepEqual(sent.json['anthropic_beta'], [
        'context-1m-2025-08-07',
        'interleaved-thinking-2025-05-14',
      ]);
      assert.equal(sent.headers['x-api-key'], undefined);

      const whole = await claude.messages.create(message);
      assert.equal(whole.content[0]?.type === 'text' ? whole.content[0].text : '', 'Hello!');

      const before = upstream.calls.length;
      const counted = await claude.messages.countTokens({
        model: MODEL,
        messages: message.messages,
      });
      assert.ok(counted.input_tokens > 0);
      assert.equal(upstream.calls.length, before, 'counted here: Bedrock has no such route');

      const listed = await claude.models.list();
      assert.deepEqual(
        listed.data.map((m) => m.id),
        [MODEL],
      );

      // An OpenAI client's chat, translated, is streamed from Bedrock too.
      const chat = await new OpenAI({
        baseURL: sluice.baseURL,
        apiKey: ADMIN_KEY,
        maxRetries: 0,
      }).chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      let text = '';
      for await (const c of chat) text += c.choices[0]?.delta.content ?? '';
      assert.equal(text, messagesText(FIXTURE));

      // Metered from the stream's own usage, priced as claude-sonnet-4-5.
      await sluice.running.settled();
      const records = await sluice.running.store.listUsage({ limit: 10 });
      const first = records.find((r) => r.endpoint === '/v1/messages' && r.completionTokens === 30);
      assert.ok(first?.cost !== null && (first?.cost ?? 0) > 0, JSON.stringify(records[0]));
      assert.doesNotMatch(JSON.stringify(sluice.logs), /wJalrXUtnFEMI/);
    } finally {
      await sluice.stop();
      await upstream.stop();
    }
  });

  it('an exception mid-stream reaches the client as Anthropic’s error event', async () => {
    const upstream = await fakeBedrock();
    const sluice = await sluiceWith(entry(upstream.origin));
    const claude = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    try {
      await assert.rejects(
        claude.messages.stream({ ...message, max_tokens: 13 }).finalMessage(),
        /Too many tokens, please wait before trying again\./,
      );
    } finally {
      await sluice.stop();
      await upstream.stop();
    }
  });

  it('credentials Bedrock refuses: 502 upstream_auth_failed, its words in the log only', async () => {
    const upstream = await fakeBedrock({
      accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: 'another-secret',
    });
    const sluice = await sluiceWith(entry(upstream.origin));
    const claude = new Anthropic({ baseURL: sluice.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    try {
      await assert.rejects(claude.messages.create(message), (error: unknown) => {
        assert.ok(error instanceof Anthropic.APIError, String(error));
        assert.equal(error.status, 502);
        assert.doesNotMatch(error.message, /signature we calculated/);
        return true;
      });
      assert.match(JSON.stringify(sluice.logs), /signature we calculated/);
    } finally {
      await sluice.stop();
      await upstream.stop();
    }
  });
});

describe('aws in the config file', () => {
  const problems = async (
    upstream: Record<string, unknown>,
    env: Record<string, string> = CREDENTIALS,
  ): Promise<string> => {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, JSON.stringify({ upstreams: [upstream] }));
    try {
      loadConfig({ env: { SLUICE_CONFIG: file, ...env } });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.join('\n');
      throw error;
    }
    return '';
  };
  const base = { family: 'anthropic', baseUrl: 'https://bedrock-runtime.us-east-1.amazonaws.com' };

  it('names what is missing or wrong, never a secret', async () => {
    assert.equal(await problems({ ...base, aws: { region: REGION } }), '');
    // Nothing in the environment: the instance's role, as AWS's SDKs would — unless turned off.
    assert.equal(await problems({ ...base, aws: { region: REGION } }, {}), '');
    assert.match(
      await problems({ ...base, aws: { region: REGION } }, { AWS_EC2_METADATA_DISABLED: 'true' }),
      /no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    const half = await problems(
      { ...base, aws: { region: REGION } },
      { AWS_SECRET_ACCESS_KEY: CREDENTIALS.AWS_SECRET_ACCESS_KEY },
    );
    assert.match(half, /aws\.accessKeyIdEnv names AWS_ACCESS_KEY_ID, which is not set/);
    const unset = await problems(
      {
        ...base,
        aws: { region: REGION, accessKeyIdEnv: 'MY_ID', secretAccessKeyEnv: 'MY_SECRET' },
      },
      CREDENTIALS,
    );
    assert.match(unset, /aws\.accessKeyIdEnv names MY_ID, which is not set/);
    assert.match(unset, /aws\.secretAccessKeyEnv names MY_SECRET, which is not set/);
    assert.match(
      await problems({ ...base, aws: { region: 'Virginia' } }),
      /aws\.region must be an AWS region such as us-east-1, not "Virginia"/,
    );
    // The region is the endpoint's: its host says it, a contradicting one is refused; a host
    // that does not say it takes AWS_REGION.
    assert.equal(await problems({ ...base, aws: {} }), '');
    assert.match(
      await problems({ ...base, aws: { region: 'eu-west-1' } }),
      /aws\.region is eu-west-1, but the baseUrl is Bedrock's in us-east-1: AWS would refuse the signatures/,
    );
    const proxied = { ...base, baseUrl: 'https://bedrock.internal.example', aws: {} };
    assert.match(await problems(proxied), /aws\.region is needed/);
    assert.equal(await problems(proxied, { ...CREDENTIALS, AWS_REGION: 'eu-west-1' }), '');
    assert.match(
      await problems({ ...base, family: 'openai', aws: { region: REGION } }),
      /"aws" is for Claude on Amazon Bedrock/,
    );
    // A Bedrock API key is sent as it is; keys to sign with beside it are a contradiction.
    assert.equal(await problems({ ...base, aws: { region: REGION }, apiKey: 'k' }, {}), '');
    const keyed = await problems({
      ...base,
      aws: { region: REGION, accessKeyIdEnv: 'AWS_ACCESS_KEY_ID' },
      apiKey: 'k',
    });
    assert.match(
      keyed,
      /Bedrock API keys \("apiKey…" or AWS_BEARER_TOKEN_BEDROCK\) or "aws.accessKeyIdEnv"/,
    );
    assert.doesNotMatch(keyed + unset + half, /wJalrXUtnFEMI/);
  });
});
