/**
 * The doctor's capture on real sockets against small scripted servers: it must record what the
 * wire did (compressed read sizes, decompressed events) and how the stream ended — [DONE], a
 * broken connection, an error page, its own deadline, no connection at all — over HTTP/1.1, and
 * over HTTP/2 when asked.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2Server,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { createGzip, constants } from 'node:zlib';
import { capture, type CaptureRequest } from '../src/doctor/index.ts';
import { formatEvent } from '../src/sse/index.ts';
import { freePort } from './support/ports.ts';

const servers: Server[] = [];
after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
});

async function serve(handler: (res: ServerResponse) => Promise<void> | void): Promise<URL> {
  const server = createServer((_req, res) => {
    void Promise.resolve()
      .then(() => handler(res))
      .catch(() => res.destroy());
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/sluice/probe`);
}

function request(url: URL, timeoutMs = 5000): CaptureRequest {
  return {
    url,
    mode: 'probe',
    method: 'GET',
    headers: { 'accept-encoding': 'gzip, br' },
    probe: { events: 3, intervalMs: 30, pad: 0, silenceMs: 0 },
    timeoutMs,
  };
}

const probeEvent = (seq: number, elapsed: number): string =>
  formatEvent({
    id: String(seq),
    data: JSON.stringify({ seq, of: 3, elapsed_ms: elapsed, t: Date.now(), pad: '' }),
  });

describe('capture', () => {
  it('records compressed reads and decompressed events with their send times', async () => {
    const url = await serve(async (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
      const gzip = createGzip();
      gzip.pipe(res);
      for (let seq = 0; seq < 3; seq++) {
        gzip.write(probeEvent(seq, seq * 30));
        gzip.flush(constants.Z_SYNC_FLUSH);
        await sleep(30);
      }
      gzip.end(formatEvent({ data: '[DONE]' }));
    });
    const timeline = await capture(request(url));
    assert.equal(timeline.end.kind, 'done');
    assert.equal(timeline.headers['content-encoding'], 'gzip');
    assert.deepEqual(
      timeline.events.map((e) => [e.seq, e.sentMs]),
      [
        [0, 0],
        [1, 30],
        [2, 60],
      ],
    );
    assert.ok(timeline.reads.length >= 3, 'one read per flushed event at least');
    const wire = timeline.reads.reduce((sum, r) => sum + r.bytes, 0);
    const text = timeline.events.reduce((sum, e) => sum + e.bytes, 0);
    assert.ok(wire < text, `read sizes are the compressed ones (${wire} < ${text})`);
    // Each event is stamped when its own read came, not when the stream ended: the server
    // flushed them 30 ms apart. (Not by how far apart: a loaded machine may shorten that.)
    const [first, second, third] = timeline.events.map((e) => e.t);
    assert.ok(first! < second! && second! < third!, 'each event stamped at its own arrival');
    assert.ok(timeline.doneMs !== undefined);
    assert.ok(timeline.phases.connectMs !== undefined && timeline.phases.headersMs !== undefined);
  });

  it('a connection broken mid-body is a reset, and the events before it are kept', async () => {
    const url = await serve(async (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(probeEvent(0, 0));
      await sleep(50);
      res.destroy();
    });
    const timeline = await capture(request(url));
    assert.equal(timeline.end.kind, 'reset');
    assert.equal(timeline.events.length, 1);
    assert.equal(timeline.doneMs, undefined);
  });

  it('an error page keeps its status, Server header and first bytes', async () => {
    const url = await serve((res) => {
      res.writeHead(502, { 'content-type': 'text/html', server: 'nginx/1.22.1' });
      res.end('<html><title>502 Bad Gateway</title></html>');
    });
    const timeline = await capture(request(url));
    assert.equal(timeline.status, 502);
    assert.equal(timeline.headers['server'], 'nginx/1.22.1');
    assert.match(timeline.bodyHead ?? '', /502 Bad Gateway/);
  });

  it('a stream still open at the deadline ends as a timeout', async () => {
    const url = await serve(async (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(probeEvent(0, 0));
      await sleep(5000);
    });
    const timeline = await capture(request(url, 300));
    assert.equal(timeline.end.kind, 'timeout');
    assert.ok(timeline.end.t >= 290 && timeline.end.t < 2000, String(timeline.end.t));
    assert.equal(timeline.events.length, 1);
  });

  it('nothing listening is unreachable', async () => {
    const port = await freePort();
    const timeline = await capture(request(new URL(`http://127.0.0.1:${port}/`)));
    assert.equal(timeline.end.kind, 'unreachable');
    assert.equal(timeline.end.code, 'ECONNREFUSED');
    assert.equal(timeline.status, undefined);
  });
});

describe('capture over HTTP/2 (--http2; prior knowledge over http)', () => {
  const sessions: Http2Server[] = [];
  after(async () => {
    for (const server of sessions) {
      server.close();
      await once(server, 'close');
    }
  });

  async function serveH2(handler: (stream: ServerHttp2Stream) => Promise<void>): Promise<URL> {
    const server = createHttp2Server();
    sessions.push(server);
    server.on('stream', (stream) => {
      stream.on('error', () => undefined); // a reset this side sends is an error here too
      void handler(stream)
        .catch(() => stream.destroy())
        .finally(() => {
          // Closing the server waits for its sessions: end this one with its stream.
          stream.session?.close();
        });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/sluice/probe`);
  }

  it('records the protocol, one read per DATA frame flushed, the events and [DONE]', async () => {
    const url = await serveH2(async (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
      for (let seq = 0; seq < 3; seq++) {
        stream.write(probeEvent(seq, seq * 30));
        await sleep(30);
      }
      stream.end(formatEvent({ data: '[DONE]' }));
    });
    const timeline = await capture({ ...request(url), http2: true });
    assert.equal(timeline.protocol, 'h2');
    assert.equal(timeline.end.kind, 'done');
    assert.equal(timeline.status, 200);
    assert.equal(timeline.headers[':status'], undefined, 'pseudo-headers are not headers');
    assert.deepEqual(
      timeline.events.map((e) => e.seq),
      [0, 1, 2],
    );
    assert.ok(timeline.reads.length >= 3, 'each flushed event in a read of its own');
    assert.ok(timeline.phases.firstByteMs !== undefined && timeline.phases.headersMs !== undefined);
  });

  it('a stream reset mid-body is a reset, the events before it kept', async () => {
    const url = await serveH2(async (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
      stream.write(probeEvent(0, 0));
      await sleep(30);
      // destroy(), not close(code): close ends the body cleanly before its RST_STREAM.
      stream.destroy(new Error('the hop gave up'));
    });
    const timeline = await capture({ ...request(url), http2: true });
    assert.equal(timeline.end.kind, 'reset');
    assert.match(timeline.end.code ?? '', /^ERR_HTTP2_STREAM_/);
    assert.equal(timeline.events.length, 1);
  });

  it('without --http2 the same capture speaks HTTP/1.1 and says so', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(probeEvent(0, 0) + formatEvent({ data: '[DONE]' }));
    });
    const timeline = await capture(request(url));
    assert.equal(timeline.protocol, 'http/1.1');
    assert.equal(timeline.end.kind, 'done');
  });
});
