import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { deferred } from '../../test/support/fake-upstream.ts';
import { waitFor } from '../../test/support/wait.ts';
import { InvalidJsonError, RequestTimeoutError, ServerBusyError } from '../errors/index.ts';
import { limitedBody, MAX_JSON_DEPTH, ownUtf8, parseJsonObject, readBody } from './body.ts';
import { BodyBudget } from './body-budget.ts';
import { guardBody, releaseBody, reserveBodyMemory } from './body-guard.ts';
import { toSluiceError } from './respond.ts';

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

describe('parseJsonObject', () => {
  /** A body `depth` levels deep: the top object, then arrays and objects in turn. */
  const nested = (depth: number) => {
    const open: string[] = [];
    const close: string[] = [];
    for (let level = 2; level <= depth; level++) {
      open.push(level % 2 === 0 ? '[' : '{"k":');
      close.push(level % 2 === 0 ? ']' : '}');
    }
    return Buffer.from(`{"a":${open.join('')}1${close.reverse().join('')}}`);
  };

  it('takes a body nested MAX_JSON_DEPTH levels deep, not one level more', () => {
    assert.doesNotThrow(() => parseJsonObject(nested(MAX_JSON_DEPTH)));
    assert.throws(() => parseJsonObject(nested(MAX_JSON_DEPTH + 1)), InvalidJsonError);
  });

  it('refuses a body nested past what a walk of it could take, without overflowing itself', () => {
    assert.throws(() => parseJsonObject(nested(1_000_000)), InvalidJsonError);
    // With an integer too large for a double in it too (parsed the slower way).
    const deep = nested(1_000_000).toString().replace('"a":', '"s":18446744073709551615,"a":');
    assert.throws(() => parseJsonObject(Buffer.from(deep)), InvalidJsonError);
  });

  it('keeps an integer beyond 2^53 as written; everything else as JSON.parse reads it', () => {
    const text =
      '{"seed":18446744073709551615,"min":-9223372036854775808,"safe":9007199254740991,' +
      '"float":1.5e+300,"text":"12345678901234567890","list":[12345678901234567890]}';
    const json = parseJsonObject(Buffer.from(text));
    assert.equal(JSON.stringify(json), text);
    assert.equal(json.safe, 9007199254740991);
    assert.equal(json.float, 1.5e300);
    assert.equal(json.text, '12345678901234567890');
    // Without such a run of digits, numbers are plain numbers.
    assert.deepEqual(parseJsonObject(Buffer.from('{"n":1,"x":0.1}')), { n: 1, x: 0.1 });
  });

  it("keeps a number beyond a double's range as written, not as the null JSON makes of Infinity", () => {
    const text = '{"temperature":1e309,"low":-1E+999,"list":[2e400,{"deep":1e999}],"ok":1e+308}';
    const json = parseJsonObject(Buffer.from(text));
    assert.equal(JSON.stringify(json), text);
    assert.equal(json.ok, 1e308);
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

/**
 * The server's rules for a body (issue #11, item 5): a body that does not come is timed out
 * whoever is (or is not) reading it, and the bodies in flight hold no more memory together than
 * the budget. A bare `node:http` server stands in for Sluice's, which calls `guardBody` first.
 */
describe('guardBody', () => {
  const TIMEOUT_MS = 200;
  /** A case that would wait for ever fails instead. */
  const BOUNDED = { timeout: 20_000 };
  const BUDGET = 64 * 1024;
  const budget = new BodyBudget(BUDGET);
  let stalls: RequestTimeoutError[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((req, res) => {
      guardBody(req, {
        timeoutMs: TIMEOUT_MS,
        budget,
        onStall: (error) => stalls.push(error),
      });
      res.once('close', () => {
        releaseBody(req);
      });
      handler(req, res);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    ({ port } = server.address() as AddressInfo);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const reset = (next: (req: IncomingMessage, res: ServerResponse) => void) => {
    stalls = [];
    handler = next;
  };
  /** Answers a reader's failure as Sluice's server does: its status, and close on a refusal. */
  const answer = (res: ServerResponse, thrown: unknown) => {
    const error = toSluiceError(thrown);
    res.writeHead(error.status, { ...error.headers, 'content-length': 0 }).end();
  };

  it(
    'fails the reader with a 408 when the body never comes, and the connection closes',
    BOUNDED,
    async () => {
      const failures: unknown[] = [];
      reset((req, res) => {
        readBody(req, 1024).then(
          () => res.end(),
          (error: unknown) => {
            failures.push(error);
            answer(res, error);
          },
        );
      });
      const client = raw(port, head('POST', { 'content-length': '100' }));
      assert.match(await client.text, /^HTTP\/1\.1 408 .*\r\nconnection: close\r\n/is);
      await client.closed;
      assert.ok(failures[0] instanceof RequestTimeoutError);
      assert.deepEqual(stalls, [], 'the reader took the stall; the server had nothing to do');
    },
  );

  it(
    'tells the server of a stall nobody reads, once, and closes a connection left open',
    BOUNDED,
    async () => {
      reset(() => undefined);
      const client = raw(port, head('POST', { 'content-length': '100' }) + 'half');
      // The stand-in server does nothing with the stall: the watchdog closes the connection itself.
      await client.closed;
      assert.equal(stalls.length, 1);
      assert.ok(stalls[0] instanceof RequestTimeoutError);
      assert.equal(stalls[0].status, 408);
    },
  );

  it('watches the body after an answer given without reading it', BOUNDED, async () => {
    reset((_req, res) => res.writeHead(401, { 'content-length': 0 }).end());
    const client = raw(port, head('POST', { 'content-length': '100' }));
    assert.match(await client.text, /^HTTP\/1\.1 401 /);
    await client.closed;
    assert.equal(stalls.length, 1, 'the server was told, after its answer');
  });

  it('does not time out a body Sluice paused, however long it waits', BOUNDED, async () => {
    const go = deferred();
    const paused = Promise.withResolvers<Socket>();
    let received = 0;
    reset((req, res) => {
      void (async () => {
        try {
          for await (const chunk of limitedBody(req, Infinity)) {
            received += chunk.length;
            // Like an upload to an upstream that does not take it: stop pulling.
            if (received === chunk.length) {
              paused.resolve(req.socket);
              await go.promise;
            }
          }
          res.end(String(received));
        } catch (error) {
          answer(res, error);
        }
      })();
    });
    const SIZE = 8 * 1024 * 1024;
    const client = raw(port, head('POST', { 'content-length': String(SIZE) }));
    client.socket.write(Buffer.alloc(SIZE, 120));
    const socket = await paused.promise;
    // Sluice's side is paused: the request's buffer is full and its socket stopped reading.
    await waitFor(() => socket.isPaused(), { what: 'the socket paused' });
    const pausedAt = performance.now();
    while (performance.now() - pausedAt < 4 * TIMEOUT_MS) {
      assert.ok(socket.isPaused(), 'still paused: nothing was read meanwhile');
      await delay(TIMEOUT_MS / 4);
    }
    go.resolve();
    assert.match(await client.text, /^HTTP\/1\.1 200 [^]*\r\n\r\n8388608$/);
    assert.deepEqual(stalls, []);
    client.socket.destroy();
  });

  it('fails a limitedBody waiting for a chunk that does not come with a 408', BOUNDED, async () => {
    const failures: unknown[] = [];
    reset((req, res) => {
      void (async () => {
        try {
          for await (const _ of limitedBody(req, Infinity));
          res.end();
        } catch (error) {
          failures.push(error);
          answer(res, error);
        }
      })();
    });
    const client = raw(port, head('POST', { 'content-length': '100' }) + 'half');
    assert.match(await client.text, /^HTTP\/1\.1 408 /);
    await client.closed;
    assert.ok(failures[0] instanceof RequestTimeoutError);
    assert.deepEqual(stalls, []);
  });

  it(
    'limitedBody stops past its limit and leaves the request whole, so the 413 goes out',
    BOUNDED,
    async () => {
      reset((req, res) => {
        void (async () => {
          try {
            for await (const _ of limitedBody(req, 1000));
            res.end();
          } catch (error) {
            answer(res, error);
          }
        })();
      });
      const client = raw(port, head('POST', { 'transfer-encoding': 'chunked' }));
      client.socket.write(`800\r\n${'x'.repeat(0x800)}\r\n`);
      assert.match(await client.text, /^HTTP\/1\.1 413 .*\r\nconnection: close\r\n/is);
      await client.closed;
    },
  );

  it(
    'charges a declared length before its bytes come, gives it back when the response closes',
    BOUNDED,
    async () => {
      const bodies: Buffer[] = [];
      reset((req, res) => {
        readBody(req, BUDGET).then(
          (body) => {
            bodies.push(body);
            res.end();
          },
          (error: unknown) => {
            answer(res, error);
          },
        );
      });
      const held = raw(port, head('POST', { 'content-length': String(BUDGET / 2) }));
      await waitFor(() => budget.inUse !== 0, { what: 'a charge' });
      assert.equal(budget.inUse, BUDGET / 2, 'charged with no byte of the body sent');
      // One that does not fit is refused before a byte of it is sent.
      const refused = raw(port, head('POST', { 'content-length': String(BUDGET / 2 + 1) }));
      assert.match(
        await refused.text,
        /^HTTP\/1\.1 503 .*\r\nretry-after: 1\r\nconnection: close/is,
      );
      await refused.closed;
      assert.equal(budget.inUse, BUDGET / 2);
      held.socket.write(Buffer.alloc(BUDGET / 2, 97));
      assert.match(await held.text, /^HTTP\/1\.1 200 /);
      assert.equal(bodies[0]?.length, BUDGET / 2);
      assert.equal(bodies[0].buffer.byteLength, BUDGET / 2, 'memory of its own, of its size');
      held.socket.destroy();
      await waitFor(() => budget.inUse === 0, { what: 'the budget given back' });
    },
  );

  it(
    'charges a chunked body as it comes and refuses it mid-body past the budget',
    BOUNDED,
    async () => {
      const CHUNK = 16 * 1024;
      let peak = 0;
      reset((req, res) => {
        req.on('data', () => (peak = Math.max(peak, budget.inUse)));
        readBody(req, Infinity).then(
          () => res.end(),
          (error: unknown) => {
            answer(res, error);
          },
        );
      });
      const client = raw(port, head('POST', { 'transfer-encoding': 'chunked' }));
      const chunk = `${CHUNK.toString(16)}\r\n${'x'.repeat(CHUNK)}\r\n`;
      for (let sent = 0; sent < BUDGET / CHUNK; sent++) {
        client.socket.write(chunk);
        await waitFor(() => budget.inUse === (sent + 1) * CHUNK, { what: `chunk ${sent} charged` });
      }
      assert.equal(budget.inUse, BUDGET, 'the budget is full, and the body not refused yet');
      client.socket.write(chunk);
      assert.match(await client.text, /^HTTP\/1\.1 503 /);
      assert.equal(peak, BUDGET, 'never past the budget');
      await client.closed;
      await waitFor(() => budget.inUse === 0, { what: 'the budget given back' });
    },
  );

  it('reserveBodyMemory charges the same budget until the request ends', BOUNDED, async () => {
    const results: unknown[] = [];
    const release = deferred();
    reset((req, res) => {
      try {
        reserveBodyMemory(req, BUDGET - 1);
        results.push(budget.inUse);
        reserveBodyMemory(req, 2);
      } catch (error) {
        results.push(error);
      }
      void release.promise.then(() => res.end());
    });
    const client = raw(port, head('GET', {}));
    await waitFor(() => results.length === 2, { what: 'both reservations' });
    assert.equal(results[0], BUDGET - 1);
    assert.ok(results[1] instanceof ServerBusyError);
    assert.equal(budget.inUse, BUDGET - 1, 'a refused reservation takes nothing');
    release.resolve();
    await client.text;
    client.socket.destroy();
    await waitFor(() => budget.inUse === 0, { what: 'the budget given back' });
  });

  it('leaves a request to a server with no rules alone', BOUNDED, async () => {
    const plain = createServer((req, res) => {
      reserveBodyMemory(req, Number.MAX_SAFE_INTEGER);
      void readBody(req, 10).then((body) => res.end(body));
    });
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
    const client = raw(
      (plain.address() as AddressInfo).port,
      head('POST', { 'content-length': '2' }) + 'ok',
    );
    assert.match(await client.text, /\r\n\r\nok$/);
    client.socket.destroy();
    plain.close();
  });
});

function head(method: string, headers: Record<string, string>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `${method} / HTTP/1.1\r\nhost: 127.0.0.1\r\n${lines.join('')}\r\n`;
}

/**
 * A client on a raw socket, to send headers and then as much of a body as a test wants.
 * `text` is the first response (headers and a body of its `content-length`); `closed`
 * resolves when the server ends the connection (the client never does, before it).
 */
function raw(port: number, first: string) {
  const socket = connect(port, '127.0.0.1');
  socket.write(first);
  let received = '';
  const text = new Promise<string>((resolve, reject) => {
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      const length = Number(/^content-length: *(\d+)/im.exec(received.slice(0, end))?.[1] ?? 0);
      if (received.length >= end + 4 + length) resolve(received.slice(0, end + 4 + length));
    });
    socket.on('close', () => {
      reject(new Error(`closed before a whole response: ${JSON.stringify(received)}`));
    });
  });
  text.catch(() => undefined);
  const closed = once(socket, 'close').then(() => undefined);
  return { socket, text, closed };
}
