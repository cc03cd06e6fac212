/**
 * Sluice behind a real nginx (Debian's), the hop that held the tokens in the story Sluice comes
 * from. With buffering off, streams flow. With nginx's defaults (buffering on), they still flow
 * — because Sluice sends `X-Accel-Buffering: no` — and the same nginx told to ignore that header
 * holds the events back: the header is what makes the difference.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pacedByClient } from './support/causality.ts';
import { type FakeUpstream, startFakeUpstream } from './support/fake-upstream.ts';
import { proxyServerBlock, startNginx, type TestNginx } from './support/nginx.ts';
import { sluiceFor, type TestSluice } from './support/sluice.ts';
import { postStream } from './support/sse-client.ts';

let upstream: FakeUpstream;
let sluice: TestSluice;

before(async () => {
  upstream = await startFakeUpstream();
  sluice = await sluiceFor(upstream.origin);
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});

/** Streams 8 events through `nginx`; per event, whether the client had it before the next was sent. */
async function deliveredThrough(nginx: TestNginx) {
  const paced = pacedByClient(8);
  upstream.script(paced.script);
  const stream = await postStream(`${nginx.url}/v1/chat/completions`, {
    model: 'm',
    messages: [],
    stream: true,
  });
  for await (const event of stream.events) if (event.data !== undefined) paced.ack(event.data);
  return { delivered: await paced.delivered, headers: stream.headers, raw: stream.raw() };
}

async function withNginx(
  locationExtra: string,
  run: (nginx: TestNginx) => Promise<void>,
): Promise<void> {
  const nginx = await startNginx({
    serverBlock: proxyServerBlock({
      upstreamPort: Number(new URL(sluice.url).port),
      locationExtra,
    }),
  });
  try {
    await run(nginx);
  } finally {
    await nginx.stop();
  }
}

describe('Sluice behind nginx', () => {
  it('with proxy_buffering off: every event passes before the next is sent', async () => {
    await withNginx(
      'proxy_buffering off; proxy_http_version 1.1; proxy_set_header Connection "";',
      async (nginx) => {
        const { delivered, raw } = await deliveredThrough(nginx);
        assert.deepEqual(delivered, Array(8).fill(true));
        assert.match(raw, /data: \[DONE\]\n\n$/);
      },
    );
  });

  it('with nginx defaults: still streams, because Sluice sends X-Accel-Buffering: no', async () => {
    await withNginx('', async (nginx) => {
      const { delivered, headers } = await deliveredThrough(nginx);
      assert.deepEqual(delivered, Array(8).fill(true));
      assert.equal(headers.get('x-accel-buffering'), null, 'nginx consumes the header it obeyed');
      assert.equal(headers.get('server')?.startsWith('nginx'), true);
    });
  });

  it('the same nginx ignoring X-Accel-Buffering buffers the stream: the header is what saves it', async () => {
    await withNginx('proxy_ignore_headers X-Accel-Buffering;', async (nginx) => {
      const { delivered, raw } = await deliveredThrough(nginx);
      assert.equal(
        delivered[0],
        false,
        'the first event was held until the upstream gave up waiting',
      );
      assert.match(raw, /data: \[DONE\]\n\n$/, 'and arrived later, with the rest');
    });
  });
});
