/** Probe: a reader that stops reading gives its slot back; shutdown ends probes at once. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { parseProbeParams } from './params.ts';
import { Probe } from './probe.ts';

let probe: Probe;
let server: Server;
let served: Promise<void>[] = [];

before(async () => {
  probe = new Probe({ keepaliveMs: 1000, maxConcurrent: 1, maxPerClient: 1, stalledReaderMs: 50 });
  server = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    served.push(
      probe.serve(res, parseProbeParams(query), 'client').catch(() => {
        res.writeHead(429).end();
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
after(() => {
  server.close();
});

/** A connection that asks for a probe and never reads what comes. */
function stalledReader(query: string) {
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.pause();
  socket.write(`GET /sluice/probe?${query} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return socket;
}

describe('Probe', () => {
  it('a reader that stopped reading loses its probe, and the slot is free again', async () => {
    // It held the slot for as long as it liked: 16 such sockets took every probe for good.
    const socket = stalledReader('events=1000&interval_ms=0&pad=65536');
    await once(server, 'request');
    await Promise.all(served);
    served = [];
    socket.destroy();
    const next = await fetch(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/p?events=1`,
    );
    assert.equal(next.status, 200);
    await next.text();
  });

  it('close ends an open probe at once and refuses the next', async () => {
    const port = (server.address() as AddressInfo).port;
    const open = await fetch(`http://127.0.0.1:${port}/p?events=2&interval_ms=60000`);
    const reader = open.body?.getReader();
    await reader?.read(); // the first event is out
    probe.close();
    for (let read = await reader?.read(); read?.done === false; read = await reader?.read());
    const refused = await fetch(`http://127.0.0.1:${port}/p?events=1`);
    assert.equal(refused.status, 429);
  });
});
