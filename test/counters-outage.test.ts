/**
 * When the limit counters' store (Redis) cannot be reached, a limited key is refused with 503
 * and `Retry-After` on every route, in the client's own dialect (issue #11: "answer 503 with
 * Retry-After on every route"). Admitting the request anyway would let its limit go unenforced;
 * a 500 would tell the client nothing about coming back. Until this test only `/api` was
 * checked (test/sign-in-lock.test.ts); here the two `/v1` dialects are, through raw HTTP and
 * through the official clients, which must raise a 503 that carries the header.
 *
 * Redis is "unreachable" by pointing REDIS_URL at a loopback port nothing listens on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { type FakeUpstream, startFakeUpstream } from './support/fake-upstream.ts';
import { freePort } from './support/ports.ts';
import { keyFor, sluiceFor, type TestSluice } from './support/sluice.ts';

const chat = { model: 'gpt-4.1-nano', messages: [{ role: 'user' as const, content: 'hi' }] };
const message = {
  model: 'claude-test',
  max_tokens: 16,
  messages: [{ role: 'user' as const, content: 'hi' }],
};

describe('limit counters unreachable (REDIS_URL to a closed port)', () => {
  let upstream: FakeUpstream;
  let sluice: TestSluice;
  /** A key with a rate limit, so every request must consult the counters. */
  let key: string;

  before(async () => {
    upstream = await startFakeUpstream();
    sluice = await sluiceFor(upstream.origin, {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    key = await keyFor(sluice, 'ada', { keyLimits: { rpm: 60 } });
  });
  after(async () => {
    await sluice.stop();
    await upstream.stop();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${sluice.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify(body),
    });
    return { response, json: (await response.json()) as Record<string, unknown> };
  }

  it('POST /v1/chat/completions: 503, Retry-After, an OpenAI error body, nothing forwarded', async () => {
    const { response, json } = await post('/v1/chat/completions', chat);
    assert.equal(response.status, 503, JSON.stringify(json));
    assert.ok(Number(response.headers.get('retry-after')) > 0, 'Retry-After in seconds');
    assert.deepEqual(json, {
      error: {
        message: 'Sluice cannot check rate limits right now; retry shortly.',
        type: 'server_error',
        param: null,
        code: 'limits_unavailable',
      },
    });
    assert.equal(upstream.calls.length, 0);
  });

  it('POST /v1/messages: 503, Retry-After, an Anthropic error body, nothing forwarded', async () => {
    const { response, json } = await post('/v1/messages', message, {
      'anthropic-version': '2023-06-01',
    });
    assert.equal(response.status, 503, JSON.stringify(json));
    assert.ok(Number(response.headers.get('retry-after')) > 0, 'Retry-After in seconds');
    // Anthropic's own "come back later" type, which its clients treat as retryable.
    assert.deepEqual(json, {
      type: 'error',
      error: {
        type: 'overloaded_error',
        message: 'Sluice cannot check rate limits right now; retry shortly.',
        code: 'limits_unavailable',
      },
    });
    assert.equal(upstream.calls.length, 0);
  });

  it('the official clients raise a 503 APIError carrying the retry-after header', async () => {
    const openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: key, maxRetries: 0 });
    await assert.rejects(openai.chat.completions.create(chat), (error: unknown) => {
      assert.ok(error instanceof OpenAI.InternalServerError, String(error));
      assert.equal(error.status, 503);
      assert.equal(error.code, 'limits_unavailable');
      assert.ok(Number(error.headers.get('retry-after')) > 0);
      return true;
    });
    const anthropic = new Anthropic({ baseURL: sluice.url, apiKey: key, maxRetries: 0 });
    await assert.rejects(anthropic.messages.create(message), (error: unknown) => {
      assert.ok(error instanceof Anthropic.InternalServerError, String(error));
      assert.equal(error.status, 503);
      assert.equal(
        (error.error as { error?: { type?: string } } | undefined)?.error?.type,
        'overloaded_error',
      );
      assert.ok(Number(error.headers.get('retry-after')) > 0);
      return true;
    });
    assert.equal(upstream.calls.length, 0);
  });
});
