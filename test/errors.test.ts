/**
 * Bad input and dead upstreams: every failure reaches the client as an error of its own
 * dialect, with the status and code that say what happened — before the first byte as HTTP,
 * after it in-band.
 */
import assert from 'node:assert/strict';
import { createServer as createTcpServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { formatEvent } from '../src/sse/index.ts';
import {
  deferred,
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { freePort } from './support/ports.ts';
import { ADMIN_KEY, sluiceFor, startTestSluice, type TestSluice } from './support/sluice.ts';
import { postStream } from './support/sse-client.ts';

let upstream: FakeUpstream;
let sluice: TestSluice;

before(async () => {
  upstream = await startFakeUpstream();
  sluice = await sluiceFor(upstream.origin, { SLUICE_MAX_BODY: '64kb' });
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${sluice.baseURL}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ADMIN_KEY}`,
      'content-type': 'application/json',
      ...headers,
    },
    body,
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

const errorOf = (json: Record<string, unknown>) =>
  json.error as { message: string; type: string; code: string };

describe('requests Sluice refuses', () => {
  it('no key, or a wrong one: 401 in OpenAI shape', async () => {
    const none = await post('/chat/completions', '{}', { authorization: '' });
    assert.equal(none.status, 401);
    assert.equal(errorOf(none.json).code, 'invalid_api_key');
    assert.match(errorOf(none.json).message, /No API key found/);
    const basic = await post('/chat/completions', '{}', { authorization: 'Basic dTpw' });
    assert.match(errorOf(basic.json).message, /No API key found/);
    const wrong = await post('/chat/completions', '{}', { authorization: 'Bearer sk-wrong' });
    assert.equal(wrong.status, 401);
    assert.equal(errorOf(wrong.json).type, 'authentication_error');
    assert.equal(upstream.calls.length, 0, 'nothing reached the upstream');
  });

  it('a proxy’s Basic login in front leaves the key to x-api-key, which is read', async () => {
    // Any Authorization that was not Bearer hid a valid x-api-key: a 401.
    upstream.script(jsonReply(200, { object: 'list', data: [] }));
    const behindBasic = await fetch(`${sluice.baseURL}/models`, {
      headers: { authorization: 'Basic dTpw', 'x-api-key': ADMIN_KEY },
    });
    assert.equal(behindBasic.status, 200, await behindBasic.text());
  });

  it('the official clients raise their authentication errors', async () => {
    const openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: 'sk-wrong', maxRetries: 0 });
    await assert.rejects(openai.models.list(), OpenAI.AuthenticationError);
    const anthropic = new Anthropic({ baseURL: sluice.url, apiKey: 'sk-wrong', maxRetries: 0 });
    await assert.rejects(
      anthropic.messages.create({
        model: 'claude-test',
        max_tokens: 1,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (error: unknown) => {
        assert.ok(error instanceof Anthropic.AuthenticationError);
        assert.deepEqual(error.error, {
          type: 'error',
          error: {
            type: 'authentication_error',
            message: 'Incorrect API key provided.',
            code: 'invalid_api_key',
          },
        });
        return true;
      },
    );
  });

  it('malformed JSON: 400 invalid_json', async () => {
    const { status, json } = await post('/chat/completions', '{"model": "gpt", "messages": [');
    assert.equal(status, 400);
    assert.equal(errorOf(json).type, 'invalid_request_error');
    assert.equal(errorOf(json).code, 'invalid_json');
    assert.match(errorOf(json).message, /could not parse the JSON body/);
  });

  it('a body over the limit: 413, whether its length is declared or not', async () => {
    const big = JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }],
    });
    const declared = await post('/chat/completions', big);
    assert.equal(declared.status, 413);
    assert.equal(errorOf(declared.json).code, 'request_too_large');
    const chunked = await fetch(`${sluice.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 413);
  });

  it('an unknown API URL, or a POST outside the API: 404', async () => {
    for (const [method, path] of [
      ['GET', '/api/nope'],
      ['POST', '/nope'],
    ] as const) {
      const response = await fetch(`${sluice.url}${path}`, { method });
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.equal(errorOf((await response.json()) as Record<string, unknown>).code, 'unknown_url');
    }
  });
});

describe('upstreams that fail before the first byte', () => {
  it('unreachable: 502 upstream_unreachable', async () => {
    const port = await freePort(); // nothing listens there
    const lonely = await startTestSluice({
      BASE_URL: `http://127.0.0.1:${port}`,
      OPENAI_API_KEY: 'k',
    });
    try {
      const response = await fetch(`${lonely.baseURL}/models`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      assert.equal(response.status, 502);
      const error = errorOf((await response.json()) as Record<string, unknown>);
      assert.equal(error.code, 'upstream_unreachable');
      assert.match(error.message, /ECONNREFUSED/);
      // The kind of failure, not where the operator's upstream (or relay, or proxy) lives.
      assert.doesNotMatch(error.message, /127\.0\.0\.1|:\d{2,5}\b/);
      // The operator's log has it, under the request's id.
      const logged = lonely.logs.find((l) => l.msg === 'upstream failed');
      assert.ok(logged, 'an "upstream failed" log line');
      assert.equal(logged.request_id, response.headers.get('x-sluice-request-id'));
      assert.match(JSON.stringify(logged.error), new RegExp(`127\\.0\\.0\\.1:${port}`));
    } finally {
      await lonely.stop();
    }
  });

  it('no response headers within the first-byte timeout: 504, and the upstream request is closed', async () => {
    const slow = await startTestSluice({
      BASE_URL: upstream.origin,
      OPENAI_API_KEY: 'k',
      SLUICE_FIRST_BYTE_TIMEOUT: '150ms',
    });
    try {
      upstream.script(() => undefined); // never answers
      const response = await post2(slow, '/embeddings', { model: 'm', input: 'hi' });
      assert.equal(response.status, 504);
      assert.equal(errorOf(response.json).code, 'upstream_timeout');
      assert.match(errorOf(response.json).message, /first byte timeout of 150 ms/);
      await (
        await upstream.nextCall()
      ).aborted;
    } finally {
      await slow.stop();
    }
  });

  it('TLS that never completes within the connect timeout: 504 naming the connect timeout', async () => {
    const silent = createTcpServer(() => undefined); // accepts TCP, never speaks TLS
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const stuck = await startTestSluice({
      BASE_URL: `https://127.0.0.1:${port}`,
      OPENAI_API_KEY: 'k',
      SLUICE_CONNECT_TIMEOUT: '150ms',
    });
    try {
      const response = await post2(stuck, '/embeddings', { model: 'm', input: 'hi' });
      assert.equal(response.status, 504);
      assert.match(errorOf(response.json).message, /connect timeout of 150 ms/);
    } finally {
      await stuck.stop();
      silent.close();
    }
  });

  it('an upstream error status passes through with its body', async () => {
    const body = {
      error: {
        message: 'The model `gpt-9` does not exist',
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    };
    upstream.script(jsonReply(404, body));
    const response = await post(
      '/chat/completions',
      JSON.stringify({ model: 'gpt-9', messages: [] }),
    );
    assert.equal(response.status, 404);
    assert.deepEqual(response.json, body);
  });
});

describe('upstreams that fail after the first byte', () => {
  it('silent past the idle timeout mid-stream: an in-band timeout error, no [DONE]', async () => {
    const idle = await startTestSluice({
      BASE_URL: upstream.origin,
      OPENAI_API_KEY: 'k',
      SLUICE_IDLE_TIMEOUT: '150ms',
      SLUICE_KEEPALIVE: '50ms',
    });
    try {
      upstream.script(({ res }) => {
        sseHead(res);
        res.write(
          formatEvent({ data: '{"id":"c","object":"chat.completion.chunk","choices":[]}' }),
        );
      });
      const stream = await postStream(`${idle.baseURL}/chat/completions`, {
        model: 'm',
        messages: [],
        stream: true,
      });
      const data = (await stream.all()).flatMap((e) => (e.data === undefined ? [] : [e.data]));
      assert.equal(data.length, 2);
      const error = errorOf(JSON.parse(data[1] ?? '') as Record<string, unknown>);
      assert.equal(error.code, 'upstream_timeout');
      assert.match(error.message, /idle timeout of 150 ms/);
      assert.doesNotMatch(stream.raw(), /\[DONE\]/);
    } finally {
      await idle.stop();
    }
  });

  it('past the total timeout: the stream ends with an in-band error even while events flow', async () => {
    const capped = await startTestSluice({
      BASE_URL: upstream.origin,
      OPENAI_API_KEY: 'k',
      SLUICE_TOTAL_TIMEOUT: '200ms',
    });
    try {
      const stop = deferred();
      upstream.script(async ({ res, aborted }) => {
        sseHead(res);
        void aborted.then(() => {
          stop.resolve();
        });
        for (let i = 0; ; i++) {
          res.write(formatEvent({ data: `{"i":${i}}` }));
          const next = await Promise.race([
            stop.promise.then(() => 'stop'),
            new Promise((r) => setTimeout(r, 20, 'go')),
          ]);
          if (next === 'stop') return;
        }
      });
      const stream = await postStream(`${capped.baseURL}/chat/completions`, {
        model: 'm',
        messages: [],
        stream: true,
      });
      const last = (await stream.all()).at(-1);
      assert.match(last?.data ?? '', /total timeout of 200 ms/);
      await stop.promise; // and the upstream request was closed
    } finally {
      await capped.stop();
    }
  });
});

async function post2(target: TestSluice, path: string, body: unknown) {
  const response = await fetch(`${target.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}
