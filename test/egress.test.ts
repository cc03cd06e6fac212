/**
 * Egress through real forward proxies from Debian — tinyproxy for HTTP_PROXY / HTTPS_PROXY
 * (CONNECT for https), dante for ALL_PROXY=socks5:// — each proven by the proxy's own log naming
 * the upstream's port, and streams still flowing event by event through them — to a provider
 * that prefers HTTP/2 too (the real ones do), whose streams go HTTP/2 inside a CONNECT tunnel.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { pacedByClient } from './support/causality.ts';
import { formatEvent } from '../src/sse/index.ts';
import {
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { freePort } from './support/ports.ts';
import { ADMIN_KEY, startTestSluice } from './support/sluice.ts';
import { startSocks, type TestSocks } from './support/socks.ts';
import { postStream } from './support/sse-client.ts';
import { startTinyproxy, type TestTinyproxy } from './support/tinyproxy.ts';
import { selfSignedCertificate, type TestCertificate } from './support/tls.ts';
import { startTlsFront } from './support/tls-front.ts';
import { waitForText } from './support/wait-for-text.ts';

let plain: FakeUpstream;
let secure: FakeUpstream;
/** Offers HTTP/2 by ALPN, as OpenAI's, Anthropic's and Azure's fronts do. */
let secureH2: FakeUpstream;
let tinyproxy: TestTinyproxy;
let socks: TestSocks;
let certificate: TestCertificate;

before(async () => {
  certificate = await selfSignedCertificate();
  // Sluice (in this process) trusts the test CA, as it would a provider's real certificate.
  setDefaultCACertificates([...getCACertificates('default'), certificate.cert]);
  plain = await startFakeUpstream();
  secure = await startFakeUpstream(undefined, { tls: certificate });
  secureH2 = await startFakeUpstream(undefined, { tls: certificate, http2: true });
  tinyproxy = await startTinyproxy();
  socks = await startSocks();
});
after(async () => {
  await Promise.all([plain.stop(), secure.stop(), secureH2.stop(), tinyproxy.stop(), socks.stop()]);
});

const portOf = (origin: string) => new URL(origin).port;

/** A paced stream through Sluice: every event must reach the client before the next is sent. */
async function streamsThrough(upstream: FakeUpstream, env: Record<string, string>): Promise<void> {
  const sluice = await startTestSluice({
    BASE_URL: upstream.origin,
    OPENAI_API_KEY: 'sk-up',
    ...env,
  });
  try {
    const paced = pacedByClient(5);
    upstream.script(paced.script);
    const stream = await postStream(`${sluice.baseURL}/chat/completions`, {
      model: 'm',
      messages: [],
      stream: true,
    });
    assert.equal(stream.status, 200);
    for await (const event of stream.events) if (event.data !== undefined) paced.ack(event.data);
    assert.deepEqual(await paced.delivered, Array(5).fill(true));
  } finally {
    await sluice.stop();
  }
}

describe('egress proxies', () => {
  it('HTTP_PROXY: an http upstream is reached through the forward proxy', async () => {
    await streamsThrough(plain, { HTTP_PROXY: tinyproxy.url });
    await waitForText(
      () => tinyproxy.log(),
      new RegExp(`POST http://127\\.0\\.0\\.1:${portOf(plain.origin)}/v1/chat/completions`),
    );
  });

  it('HTTPS_PROXY: an https upstream is reached through a CONNECT tunnel', async () => {
    await streamsThrough(secure, { HTTPS_PROXY: tinyproxy.url });
    await waitForText(
      () => tinyproxy.log(),
      new RegExp(`CONNECT 127\\.0\\.0\\.1:${portOf(secure.origin)} `),
    );
  });

  it('HTTPS_PROXY to a provider that prefers HTTP/2: HTTP/2 inside the tunnel, events one by one', async () => {
    await streamsThrough(secureH2, { HTTPS_PROXY: tinyproxy.url });
    assert.equal(secureH2.calls.at(-1)?.httpVersion, '2.0');
    await waitForText(
      () => tinyproxy.log(),
      new RegExp(`CONNECT 127\\.0\\.0\\.1:${portOf(secureH2.origin)} `),
    );
  });

  it('HTTPS_PROXY and HTTP/2: a client that leaves resets its stream inside the tunnel', async () => {
    const sluice = await startTestSluice({
      BASE_URL: secureH2.origin,
      OPENAI_API_KEY: 'sk-up',
      HTTPS_PROXY: tinyproxy.url,
    });
    try {
      secureH2.script(({ res }) => {
        sseHead(res);
        res.write(formatEvent({ data: '{"n":0}' })); // then nothing: only a cancel ends this
      });
      const stream = await postStream(`${sluice.baseURL}/chat/completions`, {
        model: 'm',
        messages: [],
        stream: true,
      });
      const call = await secureH2.nextCall();
      for await (const event of stream.events) if (event.data !== undefined) break;
      stream.abort();
      await call.aborted;
      assert.equal(call.httpVersion, '2.0');
    } finally {
      await sluice.stop();
    }
  });

  it('ALL_PROXY=socks5:// to a provider that offers HTTP/2: streams through it', async () => {
    // undici's SOCKS5 agent offers only HTTP/1.1 today; whichever is agreed, events flow.
    await streamsThrough(secureH2, { ALL_PROXY: socks.url });
  });

  it('ALL_PROXY=socks5://: the upstream is reached through the SOCKS5 proxy', async () => {
    await streamsThrough(secure, { ALL_PROXY: socks.url });
    await waitForText(
      () => socks.log(),
      new RegExp(`tcp/connect \\[: .* -> \\S+ 127\\.0\\.0\\.1\\.${portOf(secure.origin)}\\b`),
    );
  });

  it('NO_PROXY: listed hosts go direct, the proxy never sees them', async () => {
    const before = tinyproxy.log();
    await streamsThrough(plain, { HTTP_PROXY: tinyproxy.url, NO_PROXY: 'localhost,127.0.0.1' });
    const added = tinyproxy.log().slice(before.length);
    assert.doesNotMatch(added, new RegExp(`127\\.0\\.0\\.1:${portOf(plain.origin)}/v1`));
  });

  it('a dead proxy is a dead upstream: 502, not a silent direct connection', async () => {
    const sluice = await startTestSluice({
      BASE_URL: plain.origin,
      OPENAI_API_KEY: 'sk-up',
      HTTP_PROXY: `http://127.0.0.1:${await freePort()}`,
    });
    try {
      plain.script(jsonReply(200, { object: 'list', data: [] }));
      const calls = plain.calls.length;
      const response = await fetch(`${sluice.baseURL}/models`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      assert.equal(response.status, 502);
      assert.equal(
        ((await response.json()) as { error: { code: string } }).error.code,
        'upstream_unreachable',
      );
      assert.equal(plain.calls.length, calls);
    } finally {
      await sluice.stop();
    }
  });

  it("an upstream's own https:// proxy: TLS to the proxy, then the upstream through it", async () => {
    const front = await startTlsFront(tinyproxy.port, certificate);
    const upstream = await startFakeUpstream(jsonReply(200, { object: 'list', data: [] }));
    const dir = await mkdtemp(join(tmpdir(), 'sluice-egress-'));
    const file = join(dir, 'sluice.json');
    await writeFile(
      file,
      JSON.stringify({
        upstreams: [
          { name: 'via-https', baseUrl: upstream.origin, models: ['m'], proxy: front.httpsUrl },
          // The same address as http://: the front speaks only TLS, so this cannot get through.
          { name: 'plain', baseUrl: upstream.origin, models: ['p'], proxy: front.url },
        ],
      }),
    );
    const sluice = await startTestSluice({ SLUICE_CONFIG: file });
    const before = tinyproxy.log().length;
    try {
      const response = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [] }),
      });
      assert.equal(response.status, 200);
      assert.equal(upstream.calls.length, 1);
      const plain = await fetch(`${sluice.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'p', messages: [] }),
      });
      assert.equal(plain.status, 502, 'plain HTTP to the TLS front fails');
      assert.equal(upstream.calls.length, 1);
      // tinyproxy behind the TLS front carried it: Sluice spoke TLS to the proxy's address.
      await waitForText(
        () => tinyproxy.log().slice(before),
        new RegExp(`127\\.0\\.0\\.1:${portOf(upstream.origin)}`),
      );
    } finally {
      await sluice.stop();
      await Promise.all([upstream.stop(), front.stop()]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('each upstream its own way out: one through tinyproxy, one through dante, one direct', async () => {
    const [viaHttp, viaSocks, direct] = await Promise.all([
      startFakeUpstream(jsonReply(200, { object: 'list', data: [] })),
      startFakeUpstream(jsonReply(200, { object: 'list', data: [] })),
      startFakeUpstream(jsonReply(200, { object: 'list', data: [] })),
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-egress-'));
    const file = join(dir, 'sluice.json');
    await writeFile(
      file,
      JSON.stringify({
        upstreams: [
          { name: 'via-http', baseUrl: viaHttp.origin, models: ['a-*'], proxy: tinyproxy.url },
          { name: 'via-socks', baseUrl: viaSocks.origin, models: ['b-*'], proxy: socks.url },
          { name: 'direct', baseUrl: direct.origin, models: ['c-*'], proxy: 'none' },
        ],
      }),
    );
    // The environment's proxy would take all three; each upstream's own setting wins.
    const sluice = await startTestSluice({ SLUICE_CONFIG: file, HTTP_PROXY: tinyproxy.url });
    const before = { tiny: tinyproxy.log().length, socks: socks.log().length };
    try {
      for (const model of ['a-1', 'b-1', 'c-1']) {
        const response = await fetch(`${sluice.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [] }),
        });
        assert.equal(response.status, 200);
      }
      assert.deepEqual(
        [viaHttp.calls.length, viaSocks.calls.length, direct.calls.length],
        [1, 1, 1],
      );
      await waitForText(
        () => tinyproxy.log().slice(before.tiny),
        new RegExp(`POST http://127\\.0\\.0\\.1:${portOf(viaHttp.origin)}/v1/chat/completions`),
      );
      await waitForText(
        () => socks.log().slice(before.socks),
        new RegExp(`tcp/connect \\[: .* -> \\S+ 127\\.0\\.0\\.1\\.${portOf(viaSocks.origin)}\\b`),
      );
      const tiny = tinyproxy.log().slice(before.tiny);
      assert.doesNotMatch(tiny, new RegExp(`:${portOf(direct.origin)}/`), 'direct stays direct');
      assert.doesNotMatch(tiny, new RegExp(`:${portOf(viaSocks.origin)}/`));
    } finally {
      await sluice.stop();
      await Promise.all([viaHttp.stop(), viaSocks.stop(), direct.stop()]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
