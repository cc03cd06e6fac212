import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ownUtf8, readBody } from './body.ts';

const EVENTS = ['data', 'end', 'error', 'close', 'finish', 'aborted', 'readable'] as const;
const listeners = (req: IncomingMessage) => EVENTS.map((event) => req.listenerCount(event));

interface Seen {
  readonly body?: Buffer;
  readonly error?: Error;
  /** Listener counts on the request before and after `readBody` settled. */
  readonly before: number[];
  readonly after: number[];
}

/**
 * A request is kept for as long as its stream lasts, and so is what hangs on it: its body and
 * any listeners. Node 24 hands out small Buffers as slices of a shared 64 KiB pool slab, and a
 * long-lived slice holds the whole slab (at 1000 open streams, ~14 MiB of slabs held by bodies
 * of a few hundred bytes); and `for await` over a request left its end-of-stream listeners, and
 * through them the iterator, on the request.
 */
describe('readBody', () => {
  const LIMIT = 4096;
  let port = 0;
  let seen: (value: Seen) => void = () => undefined;
  const next = () =>
    new Promise<Seen>((resolve) => {
      seen = resolve;
    });
  let reading: () => void = () => undefined;
  const server = createServer((req, res) => {
    reading();
    const beforeCounts = listeners(req);
    readBody(req, LIMIT).then(
      (body) => {
        seen({ body, before: beforeCounts, after: listeners(req) });
        res.end();
      },
      (error: unknown) => {
        seen({ error: error as Error, before: beforeCounts, after: listeners(req) });
        res.setHeader('connection', 'close');
        res.statusCode = 413;
        res.end();
      },
    );
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ({ port } = server.address() as AddressInfo);
  });
  after(() => server.close());

  /**
   * Sends `parts` as a chunked body; resolves with the status, or with an error if cut. With
   * `abort`, the client goes away once the server has begun reading the body.
   */
  const send = (parts: string[], abort = false) =>
    new Promise<number | Error>((resolve) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/' }, (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
      });
      req.on('error', resolve);
      req.on('close', () => {
        resolve(new Error('closed'));
      });
      for (const part of parts) req.write(part);
      if (abort) {
        reading = () => {
          reading = () => undefined;
          req.destroy();
        };
      } else req.end();
    });

  it('returns the body whole, in memory of its own, and leaves no listener behind', async () => {
    const sent = JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: 'hi '.repeat(50) }],
    });
    const result = next();
    assert.equal(await send([sent.slice(0, 40), sent.slice(40)]), 200);
    const { body, before: was, after: now } = await result;
    assert.equal(body?.toString(), sent);
    assert.equal(body.buffer.byteLength, body.length, 'not a slice of a pool slab');
    assert.deepEqual(now, was, `listeners on ${EVENTS.join(', ')}`);
  });

  it('refuses a body over the limit as soon as it passes it, and the 413 arrives', async () => {
    const result = next();
    const status = await send(['x'.repeat(3000), 'x'.repeat(3000)]);
    const { error, before: was, after: now } = await result;
    assert.equal((error as { status?: number } | undefined)?.status, 413);
    assert.equal(status, 413);
    assert.deepEqual(now, was);
  });

  it('rejects when the client leaves mid-body, rather than waiting forever', async () => {
    const result = next();
    await send(['{"model":'], true);
    const { error, body } = await result;
    assert.equal(body, undefined);
    assert.ok(error instanceof Error);
  });
});

describe('ownUtf8', () => {
  it('encodes into memory of its own', () => {
    const text = '{"stream_options":{"include_usage":true},"x":"é"}';
    const bytes = ownUtf8(text);
    assert.equal(bytes.toString('utf8'), text);
    assert.equal(bytes.buffer.byteLength, bytes.length);
    assert.notEqual(Buffer.from(text).buffer.byteLength, Buffer.from(text).length, 'pool in use');
  });
});
