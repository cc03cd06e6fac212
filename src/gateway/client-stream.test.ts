/**
 * The response's first bytes (issue #16): headers go out in the turn the upstream's arrive
 * (invariant 2), and when its first event came in the same read, with that event — one socket
 * write, not two. Each write that wakes the client costs the gateway tens of microseconds on
 * the way to its first byte on a VM, where waking another core is a trip through the hypervisor.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { openaiChat } from '../dialects/index.ts';
import { ClientStream } from './client-stream.ts';

const SSE = { 'content-type': 'text/event-stream' };
const EVENT = 'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n';
const DONE = 'data: [DONE]\n\n';

/** A server whose one response is a ClientStream, its socket's writes counted. */
async function front(t: TestContext): Promise<{
  url: string;
  served: Promise<{ client: ClientStream; writes: number[] }>;
}> {
  let serve: (value: { client: ClientStream; writes: number[] }) => void = () => {};
  const served = new Promise<{ client: ClientStream; writes: number[] }>((resolve) => {
    serve = resolve;
  });
  const server = createServer((_req, res: ServerResponse) => {
    const client = new ClientStream(res, openaiChat, 60_000, false);
    t.after(() => {
      client.cancelled(); // its keepalive timer, should an assertion fail before its end
    });
    serve({ client, writes: countWrites(res) });
  });
  await once(server.listen(0, '127.0.0.1'), 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${String(port)}/`, served };
}

/** Each write the socket makes: 1 for a single one, n for a vectored write of n pieces. */
function countWrites(res: ServerResponse): number[] {
  const socket = res.socket as Socket;
  const writes: number[] = [];
  const write = socket._write.bind(socket);
  const writev = socket._writev?.bind(socket);
  socket._write = (chunk, encoding, callback) => {
    writes.push(1);
    write(chunk, encoding, callback);
  };
  if (writev !== undefined)
    socket._writev = (chunks, callback) => {
      writes.push(chunks.length);
      writev(chunks, callback);
    };
  return writes;
}

function get(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request(url, resolve).on('error', reject).end();
  });
}

/** The upstream's last event, then the end: as the gateway ends a stream once it is recorded. */
function end(client: ClientStream): void {
  client.write(Buffer.from(DONE));
  client.finish('test');
  client.complete();
}

async function bodyOf(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return text;
}

describe('ClientStream: the first bytes', () => {
  it('sends headers and an event that came with them in one socket write', async (t) => {
    const { url, served } = await front(t);
    const answer = get(url);
    const { client, writes } = await served;
    // As undici hands them over from one read: the head, then the body, in one turn.
    assert.equal(client.begin(200, SSE), true);
    client.write(Buffer.from(EVENT));
    const res = await answer;
    assert.deepEqual(writes, [2], 'headers and the first event: one vectored write');
    end(client);
    assert.equal(await bodyOf(res), EVENT + DONE);
  });

  it('sends headers in their own turn when the first event has not come', async (t) => {
    const { url, served } = await front(t);
    const answer = get(url);
    const { client, writes } = await served;
    assert.equal(client.begin(200, SSE), true);
    // The client has the status and headers before any event exists (invariant 2).
    const res = await answer;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    assert.deepEqual(writes, [1]);
    client.write(Buffer.from(EVENT));
    end(client);
    assert.equal(await bodyOf(res), EVENT + DONE);
    assert.equal(writes.length, 4, 'then the event, the last event and the last chunk');
  });
});
