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
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { loadConfig } from '../src/config/index.ts';
import { ConfigError } from '../src/errors/index.ts';
import { signV4 } from '../src/upstream/sigv4.ts';
import { claudeMessage, fixturePayloads, messagesText } from './support/chat-fixtures.ts';
import { encodeEventMessage } from './support/event-stream.ts';
import {
  type FakeUpstream,
  type UpstreamCall,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';

const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const FIXTURE = 'anthropic-messages/anthropic-text.chunks.txt';
const REGION = 'us-east-1';
const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-bedrock-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Whether `call` carries the signature AWS would compute with `secret`. */
function signedBy(call: UpstreamCall, secret: string): boolean {
  const date = call.headers['x-amz-date'];
  if (typeof date !== 'string') return false;
  const at = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const expected = signV4(
    {
      method: call.method,
      url: new URL(call.path, `https://${String(call.headers.host)}`),
      headers: { 'content-type': String(call.headers['content-type']) },
      body: call.body,
    },
    { accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: secret },
    REGION,
    'bedrock',
    at,
  );
  return call.headers.authorization === expected.authorization;
}

/** The recorded stream as Bedrock frames it; `throttleAfter` events, an exception instead. */
function frames(throttleAfter?: number): Buffer {
  const events = fixturePayloads(FIXTURE).map((event) =>
    encodeEventMessage(
      { ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' },
      Buffer.from(
        JSON.stringify({ bytes: Buffer.from(JSON.stringify(event)).toString('base64'), p: 'abcd' }),
      ),
    ),
  );
  if (throttleAfter === undefined) return Buffer.concat(events);
  const exception = encodeEventMessage(
    {
      ':message-type': 'exception',
      ':exception-type': 'throttlingException',
      ':content-type': 'application/json',
    },
    Buffer.from(JSON.stringify({ message: 'Too many tokens, please wait before trying again.' })),
  );
  return Buffer.concat([...events.slice(0, throttleAfter), exception]);
}

/** Bedrock's runtime API for one model, its answers signed-for with `secret` only. */
async function bedrock(secret = CREDENTIALS.AWS_SECRET_ACCESS_KEY): Promise<FakeUpstream> {
  const base = `/model/${encodeURIComponent(MODEL)}`;
  return startFakeUpstream(async (call) => {
    if (!signedBy(call, secret)) {
      reply(call.res, 403, {
        message: 'The request signature we calculated does not match the signature you provided.',
      });
    } else if (call.path === `${base}/invoke-with-response-stream`) {
      call.res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      const wire = frames(call.json?.['max_tokens'] === 13 ? 3 : undefined);
      // Cut at odd places, as TCP may: a frame's bytes in several reads.
      for (let at = 0; at < wire.length; at += 97) {
        call.res.write(wire.subarray(at, at + 97));
        await new Promise((resolve) => setImmediate(resolve));
      }
      call.res.end();
    } else if (call.path === `${base}/invoke`) {
      reply(call.res, 200, claudeMessage('Hello!', { input_tokens: 12, output_tokens: 3 }));
    } else {
      reply(call.res, 404, { message: `UnknownOperationException: ${call.path}` });
    }
  });
}

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
    const upstream = await bedrock();
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
    const upstream = await bedrock();
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
    const upstream = await bedrock('another-secret');
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
    const unset = await problems({ ...base, aws: { region: REGION } }, {});
    assert.match(unset, /aws\.accessKeyIdEnv names AWS_ACCESS_KEY_ID, which is not set/);
    assert.match(unset, /aws\.secretAccessKeyEnv names AWS_SECRET_ACCESS_KEY, which is not set/);
    assert.match(
      await problems({ ...base, aws: { region: 'Virginia' } }),
      /aws\.region must be an AWS region such as us-east-1, not "Virginia"/,
    );
    assert.match(
      await problems({ ...base, family: 'openai', aws: { region: REGION } }),
      /"aws" is for Claude on Amazon Bedrock/,
    );
    const keyed = await problems({ ...base, aws: { region: REGION }, apiKey: 'k' });
    assert.match(keyed, /"aws" signs its requests; it takes no "apiKey"/);
    assert.doesNotMatch(keyed + unset, /wJalrXUtnFEMI/);
  });
});
