/**
 * Pages of other origins calling `/v1` (chat apps that run in the browser). Before, a browser's
 * preflight — an `OPTIONS` without the key — was answered 401, and no answer carried
 * `Access-Control-Allow-Origin`: every such app failed with "Failed to fetch". Real Chromium
 * here, a page served from another origin calling Sluice with a key, as those apps do.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { formatEvent } from '../src/sse/index.ts';
import { launchChromium } from './support/browser/chromium.ts';
import { type FakeUpstream, sseHead, startFakeUpstream } from './support/fake-upstream.ts';
import { keyFor, sluiceFor, type TestSluice } from './support/sluice.ts';

const chatStream = ({ res }: { res: import('node:http').ServerResponse }) => {
  sseHead(res);
  res.end(
    ['Hello', ' from', ' Sluice']
      .map((content) =>
        formatEvent({
          data: JSON.stringify({
            id: 'c',
            object: 'chat.completion.chunk',
            choices: [{ index: 0, delta: { content }, finish_reason: null }],
          }),
        }),
      )
      .join('') + formatEvent({ data: '[DONE]' }),
  );
};

interface PageResult {
  readonly ok: boolean;
  readonly status?: number;
  readonly requestId?: string | null;
  readonly text?: string;
  readonly error?: string;
}

/** What the page does: a streamed chat completion with the key, read to its end. */
async function callFromPage(
  browser: Browser,
  pageOrigin: string,
  sluiceUrl: string,
  key: string,
): Promise<PageResult> {
  const page = await browser.newPage();
  try {
    await page.goto(`${pageOrigin}/app.html`);
    return await page.evaluate(
      async ({ url, key }): Promise<PageResult> => {
        try {
          const response = await fetch(`${url}/v1/chat/completions`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${key}`,
              'content-type': 'application/json',
              'x-stainless-os': 'web',
            },
            body: JSON.stringify({
              model: 'gpt-4o',
              stream: true,
              messages: [{ role: 'user', content: 'hi' }],
            }),
          });
          const text = await response.text();
          return {
            ok: true,
            status: response.status,
            requestId: response.headers.get('x-sluice-request-id'),
            text,
          };
        } catch (error) {
          return { ok: false, error: String(error) };
        }
      },
      { url: sluiceUrl, key },
    );
  } finally {
    await page.close();
  }
}

let upstream: FakeUpstream;
let app: Server;
let appOrigin: string;
let browser: Browser;

before(async () => {
  upstream = await startFakeUpstream();
  upstream.script(chatStream);
  // The chat app's own origin: another port is another origin.
  app = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>a chat app</title>');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  browser = await launchChromium();
});
after(async () => {
  await browser.close();
  await new Promise((resolve) => app.close(resolve));
  await upstream.stop();
});

describe('/v1 from a page of another origin', () => {
  let sluice: TestSluice;
  let key: string;
  before(async () => {
    sluice = await sluiceFor(upstream.origin);
    key = await keyFor(sluice, 'cors-user');
  });
  after(() => sluice.stop());

  it('a browser app streams a chat completion with its key and reads the response headers', async () => {
    const result = await callFromPage(browser, appOrigin, sluice.url, key);
    assert.equal(result.ok, true, result.error);
    assert.equal(result.status, 200);
    assert.match(result.text ?? '', /"content":" Sluice"/);
    assert.match(result.requestId ?? '', /./, 'an exposed header the page can read');
  });

  it('a preflight is answered before authentication, recorded nowhere; odd header names dropped', async () => {
    await sluice.running.settled();
    const before = (await sluice.running.store.listUsage({})).length;
    // Raw bytes: a header name with a space, one with a byte no field name has.
    const head = await rawRequest(
      sluice.url,
      'OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n' +
        'Access-Control-Request-Method: POST\r\n' +
        'Access-Control-Request-Headers: authorization, content-type, bad name, na\xefve, x-stainless-os\r\n' +
        'Connection: close\r\n\r\n',
    );
    assert.match(head, /^HTTP\/1\.1 204 /);
    assert.match(head, /\r\naccess-control-allow-origin: \*\r\n/i);
    assert.match(
      head,
      /\r\naccess-control-allow-headers: authorization, content-type, x-stainless-os\r\n/i,
    );
    assert.match(head, /\r\naccess-control-allow-methods: GET, POST, DELETE\r\n/i);
    await sluice.running.settled();
    assert.equal((await sluice.running.store.listUsage({})).length, before);
    // An OPTIONS that is not a preflight is a request like any other: no key, 401.
    const plain = await fetch(`${sluice.url}/v1/chat/completions`, { method: 'OPTIONS' });
    assert.equal(plain.status, 401);
    assert.equal(plain.headers.get('access-control-allow-origin'), null);
  });

  it('an error answer carries the CORS headers too, so the page can read why', async () => {
    const response = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { origin: 'https://app.example', authorization: 'Bearer sk-wrong' },
      body: '{}',
    });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
  });
});

describe('/v1 from the origins an operator names', () => {
  let sluice: TestSluice;
  let key: string;
  before(async () => {
    sluice = await sluiceFor(upstream.origin, { SLUICE_CORS_ORIGINS: 'https://chat.example.com' });
    key = await keyFor(sluice, 'cors-user');
  });
  after(() => sluice.stop());

  it('a page of another origin is refused by the browser; nothing reaches the upstream', async () => {
    const calls = upstream.calls.length;
    const result = await callFromPage(browser, appOrigin, sluice.url, key);
    assert.equal(result.ok, false);
    assert.match(result.error ?? '', /Failed to fetch/);
    assert.equal(upstream.calls.length, calls, 'the preflight failed: the request was never sent');
  });

  it('a named origin is answered as itself, with Vary: Origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${sluice.url}/v1/models`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
    const named = await preflight('https://chat.example.com');
    assert.equal(named.status, 204);
    assert.equal(named.headers.get('access-control-allow-origin'), 'https://chat.example.com');
    assert.equal(named.headers.get('vary'), 'Origin');
    const other = await preflight('https://evil.example');
    assert.equal(other.status, 204);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal(other.headers.get('vary'), 'Origin');
  });
});

/** Sends `request` as raw bytes (latin1) and resolves with the response head. */
function rawRequest(baseUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.end(Buffer.from(request, 'latin1')),
    );
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('end', () => {
      resolve(data.split('\r\n\r\n')[0] ?? '');
    });
    socket.on('error', reject);
  });
}
