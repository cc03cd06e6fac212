/**
 * The Node.js floor: the least a relay on Node can do — `node:http` in, undici out, each
 * upstream chunk framed and written straight to the client's socket, with backpressure — and
 * nothing else (no auth, no parsing of events, no metering). Between nginx and Sluice it shows
 * how much of Sluice's cost is the runtime and how much is Sluice. Started as a child process
 * (argv: upstream port, own port or 0); prints its port.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, type Dispatcher } from 'undici';

const upstream = `http://127.0.0.1:${process.argv[2] ?? ''}`;
const agent = new Agent({ connections: null, keepAliveTimeout: 120_000 });
const CRLF = Buffer.from('\r\n');

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const socket = res.socket;
    let controller: Dispatcher.DispatchController | undefined;
    const onDrain = () => controller?.resume();
    res.on('close', () => {
      socket?.off('drain', onDrain);
      if (!res.writableFinished) controller?.abort(new Error('client gone'));
    });
    agent.dispatch(
      {
        origin: upstream,
        path: req.url ?? '/',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // A copy of its own: a pooled Buffer kept for the whole stream holds a 64 KiB slab.
        body: new Uint8Array(Buffer.concat(chunks)),
      },
      {
        onRequestStart(c) {
          controller = c;
        },
        onResponseStart(c, status, headers) {
          c.rawHeaders = null; // as Sluice does: they keep the socket's first read alive
          res.writeHead(status, { 'content-type': String(headers['content-type']) });
          res.flushHeaders();
          socket?.on('drain', onDrain);
        },
        onResponseData(c, chunk: Buffer) {
          const size = Buffer.from(chunk.length.toString(16));
          if (socket?.write(Buffer.concat([size, CRLF, chunk, CRLF])) === false) c.pause();
        },
        onResponseEnd() {
          socket?.off('drain', onDrain);
          res.end();
        },
        onResponseError(_c, error) {
          res.destroy(error);
        },
      },
    );
  });
});
server.keepAliveTimeout = 120_000;
// As Sluice and the bench's nginx: the kernel's largest accept queue.
server.listen({ port: Number(process.argv[3] ?? 0), host: '127.0.0.1', backlog: 65_535 }, () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
