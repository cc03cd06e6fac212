/**
 * The rest of the boundary, each as it was found on the first round's main:
 * - the browser user's IP reached the provider (`/api/chat` added `x-sluice-client-ip` upstream)
 *   and `CF-Connecting-IP`, `True-Client-IP`, `X-Client-IP`, `Via`, `Origin`, `X-CSRF-Token`
 *   from the client passed through;
 * - malformed percent-encoding in a path or a cookie answered 500; encoded slashes
 *   (`/v1/chat%2Fcompletions`) were forwarded, then metered wrong;
 * - an upstream 401 (Sluice's provider key rejected) reached the client verbatim;
 * - the first 4–8 characters of `SLUICE_ADMIN_KEY` were in every log line and record, and an
 *   11-character admin key was accepted silently;
 * - a store outage answered 500 on `/api`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { ConfigError } from '../src/errors/index.ts';
import { formatEvent } from '../src/sse/index.ts';
import { browserClient } from './support/browser-client.ts';
import {
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { ADMIN_KEY, keyFor, sluiceFor, type TestSluice, UPSTREAM_KEY } from './support/sluice.ts';

let upstream: FakeUpstream;
let sluice: TestSluice;

before(async () => {
  upstream = await startFakeUpstream();
  sluice = await sluiceFor(upstream.origin, { SLUICE_TRUSTED_PROXIES: '127.0.0.1' });
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});

const chatStream = ({ res }: { res: import('node:http').ServerResponse }) => {
  sseHead(res);
  res.end(
    formatEvent({
      data: JSON.stringify({
        id: 'c',
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }],
      }),
    }) + formatEvent({ data: '[DONE]' }),
  );
};

/** What a browser, a CDN and proxies in front of Sluice add to a request. */
const IDENTIFYING = {
  'cf-connecting-ip': '198.51.100.7',
  'true-client-ip': '198.51.100.7',
  'x-client-ip': '198.51.100.7',
  'x-forwarded-for': '198.51.100.7',
  'x-real-ip': '198.51.100.7',
  forwarded: 'for=198.51.100.7',
  via: '1.1 cdn-edge',
  origin: 'https://chat.example.com',
  referer: 'https://chat.example.com/c/1',
  'user-agent': 'Mozilla/5.0 (the browser of the user)',
  'accept-language': 'zh-CN',
  'x-csrf-token': 'token-of-the-page',
  cookie: 'sluice_session=secret',
  'x-sluice-client-ip': '203.0.113.66',
};

/** A streamed chat request to /v1 with the client's `headers`: the headers the upstream got. */
async function upstreamHeadersFor(headers: Record<string, string>, key = ADMIN_KEY) {
  upstream.script(chatStream);
  const response = await fetch(`${sluice.baseURL}/chat/completions`, {
    method: 'POST',
    headers: {
      ...headers,
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ model: 'm', stream: true, messages: [] }),
  });
  await response.text();
  return upstream.calls.at(-1)?.headers ?? {};
}

describe('nothing about the end user leaves for the provider', () => {
  it('/v1: only the allow-listed headers and the upstream’s own reach it', async () => {
    const sent = await upstreamHeadersFor({
      ...IDENTIFYING,
      'openai-beta': 'assistants=v2',
      'idempotency-key': 'idem-1',
      'x-stainless-lang': 'js',
    });
    for (const [name, value] of Object.entries(IDENTIFYING))
      assert.ok(sent[name] === undefined || sent[name] !== value, name);
    assert.equal(sent['openai-beta'], 'assistants=v2');
    assert.match(String(sent['idempotency-key']), /^sluice-[0-9a-f]{48}$/);
    assert.equal(sent['x-stainless-lang'], 'js');
    assert.equal(sent.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(sent['user-agent'], 'sluice');
  });

  it('an idempotency key is its user’s: another user’s same key cannot replay their answer', async () => {
    const key = (user: string) => keyFor(sluice, user);
    const [ann, ben] = [await key('idem-ann'), await key('idem-ben')];
    const sentBy = async (apiKey: string) =>
      String(
        (await upstreamHeadersFor({ 'idempotency-key': 'retry-1' }, apiKey))['idempotency-key'],
      );
    const first = await sentBy(ann);
    assert.match(first, /^sluice-[0-9a-f]{48}$/);
    assert.equal(await sentBy(ann), first, 'her retry keeps its key');
    assert.notEqual(await sentBy(ben), first);
    assert.notEqual(await sentBy(ADMIN_KEY), first);
  });

  it('W3C trace context, with traces off: a valid traceparent goes on as it came, one that does not parse nowhere', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const sentFor = async (headers: Record<string, string>) => {
      const sent = await upstreamHeadersFor(headers);
      return [sent.traceparent, sent.tracestate];
    };
    assert.deepEqual(await sentFor({ traceparent, tracestate: 'rojo=00f067aa0ba902b7' }), [
      traceparent,
      'rojo=00f067aa0ba902b7',
    ]);
    assert.deepEqual(await sentFor({ traceparent: traceparent.toUpperCase(), tracestate: 'a=b' }), [
      undefined,
      undefined,
    ]);
    assert.deepEqual(await sentFor({ tracestate: 'a=b' }), [undefined, undefined]);
    assert.deepEqual(await sentFor({}), [undefined, undefined]);
  });

  it('/api/chat: the browser user’s address is in the record, never upstream', async () => {
    upstream.script(chatStream);
    await keyFor(sluice, 'root'); // the first user: the browser signs in as someone else
    await keyFor(sluice, 'ada');
    const browser = browserClient(sluice.url);
    await browser.call('GET', '/api/session');
    assert.equal(
      (
        await browser.call('POST', '/api/login', {
          username: 'ada',
          password: 'correct horse battery staple',
        })
      ).status,
      200,
    );
    const response = await browser.fetch('/api/chat', {
      method: 'POST',
      // The page's own origin: another one is refused (CSRF), and never forwarded either.
      headers: {
        ...IDENTIFYING,
        origin: sluice.url,
        'content-type': 'application/json',
        cookie: '',
      },
      body: JSON.stringify({ model: 'm', message: 'hello' }),
    });
    assert.equal(response.status, 200);
    await response.text();
    const sent = upstream.calls.at(-1)?.headers ?? {};
    for (const [name, value] of Object.entries({ ...IDENTIFYING, origin: sluice.url }))
      assert.ok(sent[name] === undefined || sent[name] !== value, name);
    assert.equal(sent['x-sluice-client-ip'], undefined);
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.ok(record);
    assert.equal(record.username, 'ada');
    assert.equal(record.clientIp, '198.51.100.7', 'X-Forwarded-For from a trusted proxy');
  });
});

describe('paths and cookies with more than one meaning', () => {
  for (const path of [
    '/v1/chat%2Fcompletions',
    '/v1/chat%2fcompletions',
    '/v1/files%5Cfile-1',
    '/v1/files/..%2Forganization',
    '/v1/files/%2e%2e/organization',
    '/v1/files/./file-1',
    '/v1//files',
    '/v1/files/',
    '/v1/files/%E0%A4%A',
    '/v1/files/%zz',
  ]) {
    it(`${path}: 400 invalid_path, nothing forwarded`, async () => {
      const before = upstream.calls.length;
      // A raw request line: fetch would normalise dot segments itself.
      const { status, body } = await rawRequest(`POST ${path} HTTP/1.1`, '{}');
      assert.equal(status, 400, body);
      assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'invalid_path');
      assert.equal(upstream.calls.length, before);
      await sluice.running.settled();
      const [record] = await sluice.running.store.listUsage({ limit: 1 });
      assert.equal(record?.status, 400, 'refused, and recorded as such');
      assert.equal(record.endReason, 'rejected');
    });
  }

  it('a target that is no URL is 400, and one that starts "//" a path, never a host: the process stays up', async () => {
    // Each of these was an uncaught "Invalid URL" that ended the process and its streams.
    for (const target of ['//evil:99999/', '//@/', '//[::1/', '//x:1:2/', '//%zz/']) {
      const { status, body } = await rawRequest(`GET ${target} HTTP/1.1`, '');
      assert.ok(status === 200 || status === 404, `${target}: ${String(status)} ${body}`);
    }
    for (const target of ['http://[bad/', 'http://']) {
      const { status, body } = await rawRequest(`GET ${target} HTTP/1.1`, '');
      assert.equal(status, 400, `${target}: ${body}`);
      assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'invalid_path');
    }
    assert.equal((await fetch(`${sluice.url}/healthz`)).status, 200);
  });

  it('"//host/metrics" and "//host/api/admin/…" are not /metrics and the admin API (a proxy’s rule for those paths holds)', async () => {
    const metrics = await rawRequest('GET //x/metrics HTTP/1.1', '');
    assert.doesNotMatch(metrics.body, /sluice_http_requests_total/);
    const admin = await rawRequest('GET //evil/api/admin/users HTTP/1.1', '');
    assert.doesNotMatch(admin.body, /^\{"data":/);
    const direct = await rawRequest('GET /api/admin/users HTTP/1.1', '');
    assert.match(direct.body, /^\{"data":/, 'the same request to the real path is the admin API');
  });

  it('malformed percent-encoding elsewhere is a 4xx or the page, never a 500', async () => {
    const admin = await fetch(`${sluice.url}/api/admin/users/%E0%A4%A`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(admin.status, 400);
    const api = await fetch(`${sluice.url}/api/conversations/%E0%A4%A`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(api.status, 400);
    const page = await fetch(`${sluice.url}/c/%E0%A4%A`);
    assert.equal(page.status, 200);
  });

  it('answers of /api and the admin API are never kept by a cache (a CSRF token, a new key)', async () => {
    const session = await fetch(`${sluice.url}/api/session`);
    assert.equal(session.headers.get('cache-control'), 'no-store');
    const users = await fetch(`${sluice.url}/api/admin/users`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(users.headers.get('cache-control'), 'no-store');
  });

  it('a malformed cookie is no cookie: signed out, not a 500', async () => {
    for (const cookie of ['sluice_session=%E0%A4%A', 'sluice_csrf=%zz; sluice_session=%']) {
      const response = await fetch(`${sluice.url}/api/session`, { headers: { cookie } });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { user: unknown }).user, null);
    }
  });
});

describe('the provider refusing Sluice’s own key', () => {
  for (const status of [401, 403]) {
    it(`${status}: the client gets 502 upstream_auth_failed in Sluice’s words; the log has the provider’s`, async () => {
      const providerMessage = 'Incorrect API key provided: sk-proj-****cdef.';
      upstream.script(
        jsonReply(status, {
          error: {
            message: providerMessage,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        }),
      );
      const response = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [] }),
      });
      const text = await response.text();
      assert.equal(response.status, 502);
      const error = (JSON.parse(text) as { error: { code: string; type: string } }).error;
      assert.equal(error.code, 'upstream_auth_failed');
      assert.equal(error.type, 'server_error');
      assert.doesNotMatch(text, /sk-proj|Incorrect API key/);
      const logged = JSON.stringify(sluice.logs.filter((l) => l.level === 'error'));
      assert.match(logged, /Incorrect API key provided: sk-proj-\*\*\*\*cdef/);
    });
  }
});

describe('the provider quoting Sluice’s own key in another error', () => {
  for (const status of [400, 429, 500]) {
    it(`${status}: passed on with the key hidden, in the body and its length`, async () => {
      upstream.script(
        jsonReply(status, {
          error: { message: `Bad request for key ${UPSTREAM_KEY}: no such model.`, code: 'x' },
        }),
      );
      const response = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [] }),
      });
      const text = await response.text();
      assert.equal(response.status, status);
      assert.ok(!text.includes(UPSTREAM_KEY), text);
      assert.match(text, /Bad request for key \(hidden\): no such model/);
    });
  }
});

describe('an upstream error longer than Sluice reads of one', () => {
  it('reaches the client as its status, in the client’s dialect, as JSON it can read', async () => {
    // Cut at 64 KiB, the provider's body went to the client as broken JSON.
    upstream.script(({ res }) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end(JSON.stringify({ error: { message: 'Slow down.', detail: 'x'.repeat(100 * 1024) } }));
    });
    const response = await fetch(`${sluice.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [] }),
    });
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '7');
    const body = (await response.json()) as { error: { message: string; code: string } };
    assert.equal(body.error.code, 'upstream_http_error');
    assert.match(body.error.message, /HTTP 429 with an error body longer than 65536 bytes/);
    assert.ok(!body.error.message.includes('xxxx'));
  });
});

describe('the admin key', () => {
  it('shorter than 32 characters: Sluice does not start, and says how to make one', () => {
    for (const key of ['short-admin', 'x'.repeat(31)]) {
      assert.throws(
        () => loadConfig({ env: { SLUICE_ADMIN_KEY: key } }),
        (error: unknown) =>
          error instanceof ConfigError &&
          /SLUICE_ADMIN_KEY is \d+ characters long; an admin key must have at least 32/.test(
            error.message,
          ) &&
          /openssl rand/.test(error.message),
      );
    }
    assert.equal(
      loadConfig({ env: { SLUICE_ADMIN_KEY: 'x'.repeat(32) } }).adminKey,
      'x'.repeat(32),
    );
  });

  it('no part of it is logged or recorded: records say "admin"', async () => {
    upstream.script(jsonReply(200, { object: 'list', data: [] }));
    await fetch(`${sluice.baseURL}/models`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.equal(record?.keyPrefix, 'admin');
    const everything =
      JSON.stringify(sluice.logs) + JSON.stringify(await sluice.running.store.listUsage());
    // `sk-sluice-` starts every key; what follows is this key's own (the old log had 6 of it).
    const own = ADMIN_KEY.slice('sk-sluice-'.length, 'sk-sluice-'.length + 4);
    assert.ok(!everything.includes(`sk-sluice-${own}`));
  });
});

/** One request on a fresh socket, its request line as given. */
async function rawRequest(line: string, body: string): Promise<{ status: number; body: string }> {
  const { connect } = await import('node:net');
  const url = new URL(sluice.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', rest = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: rest });
    });
    socket.write(
      `${line}\r\nHost: sluice\r\nAuthorization: Bearer ${ADMIN_KEY}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
