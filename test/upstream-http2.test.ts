/**
 * Providers whose TLS front prefers HTTP/2 (OpenAI's, Anthropic's and Azure's do) get HTTP/2
 * from Sluice: undici offers `h2` by ALPN unless told not to, and the server chooses. Every
 * other test's upstream speaks HTTP/1.1, so here the streaming invariants are checked again on
 * an HTTP/2 upstream — events relayed as they come, a client that leaves cancels the upstream's
 * stream, a stream the upstream resets ends in an error the client sees, a client that stops
 * reading holds the upstream back.
 */
import assert from 'node:assert/strict';
import { constants, type Http2ServerResponse } from 'node:http2';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { formatEvent } from '../src/sse/index.ts';
import { numberedStreamHeldBack } from './support/backpressure.ts';
import { pacedByClient } from './support/causality.ts';
import { chatChunksFor } from './support/chat-fixtures.ts';
import { type FakeUpstream, sseHead, startFakeUpstream } from './support/fake-upstream.ts';
import { postStream } from './support/sse-client.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';
import { selfSignedCertificate } from './support/tls.ts';

let upstream: FakeUpstream;
let sluice: TestSluice;

before(async () => {
  const certificate = await selfSignedCertificate();
  // Sluice (in this process) trusts the test CA, as it would a provider's real certificate.
  setDefaultCACertificates([...getCACertificates('default'), certificate.cert]);
  upstream = await startFakeUpstream(undefined, { tls: certificate, http2: true });
  sluice = await startTestSluice({ BASE_URL: upstream.origin, OPENAI_API_KEY: 'sk-up' });
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});

const chatRequest = { model: 'gpt-4.1-mini', stream: true, messages: [] };
const CHUNKS = chatChunksFor('openai-chat/openai-text.chunks.txt', false);
const chunk = (i: number) => formatEvent({ data: JSON.stringify(CHUNKS[i % CHUNKS.length]) });

describe('an upstream that speaks HTTP/2', () => {
  it('is spoken to in HTTP/2, and its events reach the client one by one', async () => {
    const paced = pacedByClient(5);
    upstream.script(paced.script);
    const stream = await postStream(`${sluice.baseURL}/chat/completions`, chatRequest);
    assert.equal(stream.status, 200);
    for await (const event of stream.events) if (event.data !== undefined) paced.ack(event.data);
    assert.deepEqual(await paced.delivered, Array(5).fill(true));
    assert.equal(upstream.calls.at(-1)?.httpVersion, '2.0');
  });

  it('a client that leaves cancels the upstream stream', async () => {
    upstream.script(({ res }) => {
      sseHead(res);
      res.write(chunk(0)); // then nothing: only Sluice cancelling the stream ends this
    });
    const stream = await postStream(`${sluice.baseURL}/chat/completions`, chatRequest);
    const call = await upstream.nextCall();
    for await (const event of stream.events) if (event.data !== undefined) break;
    stream.abort();
    await call.aborted;
  });

  it('a stream the upstream resets mid-way ends in an error, not in a success', async () => {
    upstream.script(({ res }) => {
      sseHead(res);
      res.write(chunk(0) + chunk(1));
      // RST_STREAM: the stream broke, the connection (and any other stream on it) lives on.
      setImmediate(() => {
        (res as unknown as Http2ServerResponse).stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      });
    });
    const openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });
    const stream = await openai.chat.completions.create({ ...chatRequest, stream: true });
    let received = 0;
    await assert.rejects(async () => {
      for await (const _chunk of stream) received++;
    }, /broke mid-stream/);
    assert.equal(received, 2);
  });

  it('a client that stops reading holds the upstream back; every event follows, in order', async () => {
    await numberedStreamHeldBack(sluice, upstream, chatRequest, 1000);
    assert.equal(upstream.calls.at(-1)?.httpVersion, '2.0');
  });
});
