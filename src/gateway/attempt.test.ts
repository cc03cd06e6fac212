import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { Agent, type Dispatcher } from 'undici';
import { openaiChat } from '../dialects/index.ts';
import { attempt } from './attempt.ts';
import { ClientStream } from './client-stream.ts';
import { Stop } from './stop.ts';

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
};

describe('attempt', () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });

  it('holds none of the upstream raw header bytes while the stream is open', async () => {
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const upstream = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n');
      void released.then(() => res.end('data: [DONE]\n\n'));
    });
    servers.push(upstream);
    const origin = await listen(upstream);

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
    const front = createServer((_req, res) => {
      void attempt({
        upstream: {
          name: 'test',
          family: 'openai',
          origin,
          basePath: '/v1',
          dispatcher,
          headers: {},
          defaultHeaders: {},
          models: undefined,
          demo: false,
        },
        request: { origin, path: '/v1/chat/completions', method: 'POST', body: '{}' },
        client: new ClientStream(res, openaiChat, 60_000, false),
        timeouts: { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000, totalMs: 10_000 },
        canFailover: false,
        stop: new Stop(),
      });
    });
    servers.push(front);

    const response = await fetch(await listen(front), { method: 'POST' });
    assert.ok(response.body);
    const reader = response.body.getReader();
    const first = await reader.read();
    assert.match(Buffer.from(first.value ?? []).toString(), /"Hi"/, 'the stream is open');
    const [controller] = controllers;
    assert.ok(controller);
    assert.equal(controller.rawHeaders, null);

    release();
    let rest = '';
    for (let read = await reader.read(); !read.done; read = await reader.read())
      rest += Buffer.from(read.value).toString();
    assert.match(rest, /\[DONE\]/);
    await dispatcher.close();
  });
});
