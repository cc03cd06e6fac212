import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Agent, type Dispatcher } from 'undici';
import { deferred, sseHead, startFakeUpstream } from '../../test/support/fake-upstream.ts';
import { openaiChat } from '../dialects/index.ts';
import { attempt } from './attempt.ts';
import { ClientStream } from './client-stream.ts';
import { DEFAULT_BREAKER, Health } from '../upstream/index.ts';
import { Stop } from './stop.ts';

describe('attempt', () => {
  it('holds none of the upstream raw header bytes while the stream is open', async (t) => {
    const released = deferred();
    const upstream = await startFakeUpstream(async ({ res }) => {
      sseHead(res);
      res.write('data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n');
      await released.promise;
      res.end('data: [DONE]\n\n');
    });
    const { origin } = upstream;
    t.after(() => upstream.stop());

    // The controller undici hands the attempt, seen through an interceptor.
    const controllers: Dispatcher.DispatchController[] = [];
    const dispatcher = new Agent().compose(
      (dispatch) => (opts, handler) =>
        dispatch(opts, {
          onRequestStart: (controller, context) => {
            controllers.push(controller);
            handler.onRequestStart?.(controller, context);
          },
          onResponseStart: (...args) => handler.onResponseStart?.(...args),
          onResponseData: (...args) => handler.onResponseData?.(...args),
          onResponseEnd: (...args) => handler.onResponseEnd?.(...args),
          onResponseError: (...args) => handler.onResponseError?.(...args),
        }),
    );
    t.after(() => dispatcher.destroy());
    const front = createServer((_req, res) => {
      const client = new ClientStream(res, openaiChat, 60_000, false);
      // The gateway completes the response once the request's record is kept.
      void attempt({
        upstream: {
          name: 'test',
          family: 'openai',
          origin,
          basePath: '/v1',
          dispatcher,
          proxied: false,
          headers: {},
          defaultHeaders: {},
          keys: [
            { id: 'test', headers: {}, health: new Health({ ...DEFAULT_BREAKER, now: Date.now }) },
          ],
          models: undefined,
          aliases: {},
          servesResponses: true,
          endUsers: false,
          priority: 0,
          weight: 1,
          azure: undefined,
          vertexClaude: false,
          bedrock: undefined,
          health: new Health({ ...DEFAULT_BREAKER, now: Date.now }),
          turn: { current: 0, key: 0 },
          load: { inFlight: 0 },
          demo: false,
        },
        request: { origin, path: '/v1/chat/completions', method: 'POST', body: '{}' },
        client,
        timeouts: { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000, totalMs: 10_000 },
        stop: new Stop(),
      }).then(() => {
        client.complete();
      });
    });
    await once(front.listen(0, '127.0.0.1'), 'listening');
    t.after(() => {
      front.closeAllConnections();
      front.close();
    });
    const { port } = front.address() as AddressInfo;

    const response = await fetch(`http://127.0.0.1:${String(port)}`, { method: 'POST' });
    assert.ok(response.body);
    const reader = response.body.getReader();
    const first = await reader.read();
    assert.match(Buffer.from(first.value ?? []).toString(), /"Hi"/, 'the stream is open');
    const [controller] = controllers;
    assert.ok(controller);
    assert.equal(controller.rawHeaders, null);

    released.resolve();
    let rest = '';
    for (let read = await reader.read(); !read.done; read = await reader.read())
      rest += Buffer.from(read.value).toString();
    assert.match(rest, /\[DONE\]/);
  });
});
