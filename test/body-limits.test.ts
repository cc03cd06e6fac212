/**
 * Slow and large request bodies (issue #11, item 5). The server had no timeout on a request
 * body (`requestTimeout: 0`, and `readBody` waited for ever): 150 unauthenticated sign-ins
 * that sent headers with `Content-Length: 100` and no body were all still open 130 s later, and
 * at a 1024-descriptor limit 1100 of them took the service down. And only each body's size was
 * bounded, not their sum: 10 bodies just under `SLUICE_MAX_BODY` took RSS from 181 to 701 MB.
 *
 * Now a body that does not start, or stalls, for `SLUICE_BODY_TIMEOUT` gets a 408 and its
 * connection closed, on every route, before authentication too, whoever is (or is not) reading
 * it; a client that sends slowly but steadily is not cut; and the bodies in flight hold no more
 * than `SLUICE_MAX_BODY_INFLIGHT` together, watched on `/metrics`. Raw sockets send the headers
 * and as much of the body as each case needs.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  deferred,
  type FakeUpstream,
  jsonReply,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { ADMIN_KEY, keyFor, sluiceFor, type TestSluice } from './support/sluice.ts';
import { metric, waitFor } from './support/wait.ts';

const BODY_TIMEOUT_MS = 300;
/** A case that would wait for ever (as they did before the fix) fails instead. */
const BOUNDED = { timeout: 30_000 };
const COMPLETION = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4.1-nano',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
};

let upstream: FakeUpstream;
before(async () => {
  upstream = await startFakeUpstream(jsonReply(200, COMPLETION));
});
after(() => upstream.stop());

describe('a request body that does not come (SLUICE_BODY_TIMEOUT)', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await sluiceFor(upstream.origin, { SLUICE_BODY_TIMEOUT: `${BODY_TIMEOUT_MS}ms` });
  });
  after(() => sluice.stop());

  it(
    '150 sign-ins with headers and no body: each gets a 408 and its connection is closed',
    BOUNDED,
    async () => {
      const clients = Array.from({ length: 150 }, () =>
        rawClient(sluice.url, request('POST', '/api/login', SIGN_IN_HEADERS)),
      );
      for (const client of clients) {
        const response = await client.response;
        assert.equal(response.status, 408, response.body);
        assert.equal(response.headers.connection, 'close');
        assertOpenAiError(response, 'request_timeout');
        assert.equal(await client.closed, 'end', 'closed by the server');
      }
    },
  );

  it(
    'a chat completion whose body stalls half way: 408, closed, and nothing goes upstream',
    BOUNDED,
    async () => {
      upstream.script(jsonReply(200, COMPLETION));
      const calls = upstream.calls.length;
      const body = JSON.stringify({
        model: 'gpt-4.1-nano',
        messages: [{ role: 'user', content: 'hello '.repeat(50) }],
      });
      const head = request('POST', '/v1/chat/completions', {
        authorization: `Bearer ${ADMIN_KEY}`,
        'content-type': 'application/json',
        'content-length': String(body.length),
      });
      const stalled = rawClient(sluice.url, head + body.slice(0, body.length / 2));
      const response = await stalled.response;
      assert.equal(response.status, 408, response.body);
      assertOpenAiError(response, 'request_timeout');
      assert.equal(await stalled.closed, 'end');
      assert.equal(upstream.calls.length, calls, 'no upstream request for a body that never came');

      // The same request whole does reach the upstream: its absence above was the stall's doing.
      const whole = rawClient(sluice.url, head + body);
      assert.equal((await whole.response).status, 200);
      assert.equal(upstream.calls.length, calls + 1);
      whole.socket.destroy();
    },
  );

  it(
    'a wrong key, answered without the body: the connection is closed when the body does not come',
    BOUNDED,
    async () => {
      const client = rawClient(
        sluice.url,
        request('POST', '/v1/chat/completions', {
          authorization: 'Bearer sk-sluice-not-a-key',
          'content-type': 'application/json',
          'content-length': '100',
        }),
      );
      assert.equal((await client.response).status, 401);
      assert.equal(await client.closed, 'end');
      assert.ok(stallLogged(sluice, '/v1/chat/completions'), 'closed by the body watchdog');
    },
  );

  it('GET /healthz declaring a body it never sends: answered, then closed', BOUNDED, async () => {
    const client = rawClient(sluice.url, request('GET', '/healthz', { 'content-length': '10' }));
    assert.equal((await client.response).status, 200);
    assert.equal(await client.closed, 'end');
    assert.ok(stallLogged(sluice, '/healthz'), 'closed by the body watchdog');
  });

  it(
    'on a kept-alive connection, each request has its own watch, ended with its body',
    BOUNDED,
    async () => {
      const client = rawClient(
        sluice.url,
        request('GET', '/healthz', { 'content-length': '2' }) + 'ok',
      );
      assert.equal((await client.response).status, 200);
      // Idle for a few timeouts after a complete body: not this request's watchdog to close.
      await delay(3 * BODY_TIMEOUT_MS);
      client.socket.write(request('GET', '/healthz', { 'content-length': '10' }));
      assert.equal((await client.nth(1)).status, 200, 'the connection was still open');
      assert.equal(await client.closed, 'end', 'the second body did not come');
    },
  );

  it(
    'a route busy elsewhere gets its 408 while it waits, and its late end is not a second answer',
    BOUNDED,
    async () => {
      const key = await keyFor(sluice, 'ada');
      const held = deferred();
      upstream.script(async ({ res }) => {
        await held.promise;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [] }));
      });
      // `/api/models` asks the gateway, which asks the upstream, before anything reads the body.
      const client = rawClient(
        sluice.url,
        request('GET', '/api/models', { authorization: `Bearer ${key}`, 'content-length': '10' }),
      );
      await upstream.nextCall();
      const response = await client.response;
      assert.equal(response.status, 408, 'answered while the route still waits on the upstream');
      assertOpenAiError(response, 'request_timeout');
      assert.equal(await client.closed, 'end');

      held.resolve();
      await waitFor(
        () =>
          sluice.logs.some(
            (l) => l.msg === 'request ended after its body timed out' && l.path === '/api/models',
          ),
        { what: 'the route to end' },
      );
      const answers = sluice.logs.filter((l) => l.msg === 'request' && l.path === '/api/models');
      assert.deepEqual(
        answers.map((l) => l.status),
        [408],
      );
      assert.equal((await fetch(`${sluice.url}/healthz`)).status, 200, 'still serving');
      upstream.script(jsonReply(200, COMPLETION));
    },
  );

  it('a slow but steady sender is not cut', BOUNDED, async () => {
    const body = JSON.stringify({ username: 'nobody', password: 'not the password' });
    const client = rawClient(
      sluice.url,
      request('POST', '/api/login', {
        ...SIGN_IN_HEADERS,
        'content-length': String(body.length),
      }),
    );
    const answer = { seen: false };
    client.response.then(
      () => (answer.seen = true),
      () => (answer.seen = true),
    );
    // A byte every fifth of the timeout: the body takes several timeouts to arrive.
    let sent = 0;
    for (; sent < body.length && !answer.seen; sent++) {
      client.socket.write(body.charAt(sent));
      await delay(BODY_TIMEOUT_MS / 5);
    }
    assert.ok(body.length * (BODY_TIMEOUT_MS / 5) > 5 * BODY_TIMEOUT_MS);
    const response = await client.response;
    assert.equal(sent, body.length, 'no answer before the last byte');
    assert.equal(response.status, 401, response.body);
    assertOpenAiError(response, 'invalid_api_key');
    client.socket.destroy();
  });
});

describe('a client that leaves half way through its body', () => {
  let sluice: TestSluice;
  let key: string;
  before(async () => {
    sluice = await sluiceFor(upstream.origin);
    key = await keyFor(sluice, 'leaver');
  });
  after(() => sluice.stop());

  /** Sends the headers and `part` of a longer body, then closes: the request's log line. */
  async function leave(path: string, headers: Record<string, string>, part: string) {
    const { hostname, port } = new URL(sluice.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((done) => {
      socket.write(request('POST', path, { ...headers, 'content-length': '100000' }) + part, () => {
        done();
      });
    });
    socket.destroy();
    const line = () => sluice.logs.find((l) => l.msg === 'request' && l.path === path);
    await waitFor(() => line() !== undefined, { what: `the log line of ${path}` });
    return line() ?? {};
  }

  it(
    'is a 499 in the record, the log line and the metrics, not a 500 failure of Sluice',
    BOUNDED,
    async () => {
      const auth = { authorization: `Bearer ${key}` };
      const form =
        '--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--b\r\n';
      for (const [path, headers, part] of [
        ['/v1/chat/completions', { ...auth, 'content-type': 'application/json' }, '{"model":'],
        [
          '/v1/audio/transcriptions',
          { ...auth, 'content-type': 'multipart/form-data; boundary=b' },
          form,
        ],
        ['/api/login', SIGN_IN_HEADERS, '{"username":'],
      ] as const) {
        const line = await leave(path, headers, part);
        assert.equal(line.status, 499, `${path}: ${JSON.stringify(line)}`);
        assert.equal(line.level, 'info', 'no error logged: nothing failed here');
      }
      await sluice.running.settled();
      const records = await sluice.running.store.listUsage({ limit: 2 });
      for (const record of records) {
        assert.equal(record.status, 499, record.endpoint);
        assert.equal(record.endReason, 'client_cancelled');
      }
      assert.ok(!sluice.logs.some((line) => line.level === 'error'), 'no error line');
      const metrics = await (await fetch(`${sluice.url}/metrics`)).text();
      assert.doesNotMatch(metrics, /sluice_http_requests_total\{[^}]*status="500"/);
    },
  );
});

describe('the memory of bodies in flight (SLUICE_MAX_BODY_INFLIGHT)', () => {
  const BUDGET = 64 * 1024;
  let sluice: TestSluice;
  before(async () => {
    sluice = await sluiceFor(upstream.origin, {
      SLUICE_MAX_BODY: '64kb',
      SLUICE_MAX_BODY_INFLIGHT: '64kb',
    });
  });
  after(() => sluice.stop());

  const inflight = () => metric(sluice.url, 'sluice_request_body_bytes_inflight');
  const chatHead = (headers: Record<string, string>) =>
    request('POST', '/v1/chat/completions', {
      authorization: `Bearer ${ADMIN_KEY}`,
      'content-type': 'application/json',
      ...headers,
    });

  it(
    'parallel bodies past the budget: those that do not fit get 503 before a byte is read',
    BOUNDED,
    async () => {
      upstream.script(jsonReply(200, COMPLETION));
      const calls = upstream.calls.length;
      const SIZE = 24 * 1024;
      const clients = Array.from({ length: 4 }, () =>
        rawClient(sluice.url, chatHead({ 'content-length': String(SIZE) })),
      );
      const answered = new Set<RawClient>();
      for (const client of clients)
        client.response.then(
          () => answered.add(client),
          () => answered.add(client),
        );
      // No byte of any body is sent: two fit and are charged, two are refused.
      await waitFor(() => answered.size === 2, { what: 'two refusals' });
      for (const client of answered) {
        const response = await client.response;
        assert.equal(response.status, 503, response.body);
        assert.equal(response.headers['retry-after'], '1');
        assertOpenAiError(response, 'server_busy');
        assert.equal(await client.closed, 'end');
      }
      assert.equal(await inflight(), 2 * SIZE, 'charged for the two taken, no more');

      for (const client of clients.filter((c) => !answered.has(c))) {
        client.socket.write(chatBody(SIZE));
        assert.equal((await client.response).status, 200);
        client.socket.destroy();
      }
      assert.equal(upstream.calls.length - calls, 2);
      await waitFor(async () => (await inflight()) === 0, { what: 'the budget given back' });
    },
  );

  it('a chunked body is refused mid-body when it would pass the budget', BOUNDED, async () => {
    upstream.script(jsonReply(200, COMPLETION));
    const HELD = 48 * 1024;
    const CHUNK = 8 * 1024;
    const held = rawClient(sluice.url, chatHead({ 'content-length': String(HELD) }));
    await waitFor(async () => (await inflight()) === HELD, { what: 'the first body charged' });

    const chunked = rawClient(sluice.url, chatHead({ 'transfer-encoding': 'chunked' }));
    const text = chatBody(3 * CHUNK);
    const chunk = (i: number) =>
      `${CHUNK.toString(16)}\r\n${text.slice(i * CHUNK, (i + 1) * CHUNK)}\r\n`;
    chunked.socket.write(chunk(0) + chunk(1));
    await waitFor(async () => (await inflight()) === BUDGET, { what: 'the budget spent' });
    chunked.socket.write(chunk(2));
    const refused = await chunked.response;
    assert.equal(refused.status, 503, refused.body);
    assertOpenAiError(refused, 'server_busy');
    assert.equal(await chunked.closed, 'end');
    assert.equal(await inflight(), HELD, 'what the refused body held is given back');

    held.socket.write(chatBody(HELD));
    assert.equal((await held.response).status, 200);
    held.socket.destroy();
    await waitFor(async () => (await inflight()) === 0, { what: 'the budget given back' });
  });
});

describe('an answer sent before the body was read (lingering close)', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await sluiceFor(upstream.origin, { SLUICE_MAX_BODY: '64kb' });
  });
  after(() => sluice.stop());

  it(
    'a client still uploading when refused gets its 413, not a reset that swallows it',
    BOUNDED,
    async () => {
      // The client writes 32 MiB (more than the kernel buffers on the way hold) of a body over
      // the limit before it reads anything, as a client busy uploading does. Closed at once
      // with those bytes unread, the server's kernel reset the connection, and the reset
      // destroyed the 413 before the client could read it (EPIPE, nothing received).
      const { hostname, port } = new URL(sluice.url);
      const socket = connect(Number(port), hostname);
      socket.pause();
      await once(socket, 'connect');
      // Chunked, so Sluice reads up to the limit before it refuses (then reads no further).
      const head = request('POST', '/v1/chat/completions', {
        authorization: `Bearer ${ADMIN_KEY}`,
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      });
      const chunk = 'x'.repeat(64 * 1024);
      const body = `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(512);
      const errors: string[] = [];
      socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? ''));
      const written = new Promise<void>((resolve) => {
        socket.write(head + body, () => {
          resolve();
        });
      });
      await Promise.race([written, once(socket, 'close')]);
      socket.resume();
      let received = '';
      socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
      const [hadError] = (await once(socket, 'close')) as [boolean];
      assert.match(
        received,
        /^HTTP\/1\.1 413 /,
        `received ${JSON.stringify(received)}, errors ${errors.join()}`,
      );
      assert.equal(hadError, false, `closed cleanly, not reset (${errors.join()})`);
    },
  );
});

/** A sign-in that passes the CSRF check (double-submit: the header repeats the cookie). */
const SIGN_IN_HEADERS = {
  'content-type': 'application/json',
  cookie: 'sluice_csrf=body-limits-test-token',
  'x-csrf-token': 'body-limits-test-token',
  'content-length': '100',
};

/** A chat completion request of exactly `size` bytes. */
function chatBody(size: number): string {
  const empty = JSON.stringify({
    model: 'gpt-4.1-nano',
    messages: [{ role: 'user', content: '' }],
  });
  return empty.replace('"content":""', `"content":"${'x'.repeat(size - empty.length)}"`);
}

function request(method: string, path: string, headers: Record<string, string>): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${lines.join('')}\r\n`;
}

function assertOpenAiError(response: RawResponse, code: string): void {
  const json = JSON.parse(response.body) as { error?: Record<string, unknown> };
  assert.equal(typeof json.error?.message, 'string');
  assert.equal(typeof json.error?.type, 'string');
  assert.equal(json.error?.code, code);
  // The client's doing, not the server's: a stalled body was typed `server_error`.
  if (code === 'request_timeout') assert.equal(json.error.type, 'invalid_request_error');
}

function stallLogged(sluice: TestSluice, path: string): boolean {
  return sluice.logs.some(
    (l) => l.msg === 'request body stalled after the answer; connection closed' && l.path === path,
  );
}

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

interface RawClient {
  readonly socket: Socket;
  /** The first response: status, headers and a body of its `content-length`. */
  readonly response: Promise<RawResponse>;
  /** The response to the `index`th request on this connection (keep-alive). */
  nth(index: number): Promise<RawResponse>;
  /** How the server ended the connection (this client never ends it first). */
  readonly closed: Promise<'end' | 'reset'>;
}

/** A client on a raw socket: sends `first` (headers, maybe part of a body), reads responses. */
function rawClient(url: string, first: string): RawClient {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.write(first);
  let received = '';
  let ended = false;
  const responses: PromiseWithResolvers<RawResponse>[] = [];
  let parsed = 0;
  let gone: Error | undefined;
  const nth = (index: number) => {
    for (let i = responses.length; i <= index; i++) {
      const pending = Promise.withResolvers<RawResponse>();
      pending.promise.catch(() => undefined);
      if (gone !== undefined && i >= parsed) pending.reject(gone);
      responses.push(pending);
    }
    return responses[index]!.promise;
  };
  socket.on('data', (data: Buffer) => {
    received += data.toString('latin1');
    for (;;) {
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      const [statusLine = '', ...lines] = received.slice(0, end).split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
        }),
      );
      const length = Number(headers['content-length'] ?? 0);
      if (received.length < end + 4 + length) return;
      void nth(parsed);
      responses[parsed++]!.resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: received.slice(end + 4, end + 4 + length),
      });
      received = received.slice(end + 4 + length);
    }
  });
  socket.on('close', () => {
    gone = new Error(`closed before a whole response: ${JSON.stringify(received)}`);
    for (const pending of responses.slice(parsed)) pending.reject(gone);
  });
  socket.on('end', () => (ended = true));
  socket.on('error', () => undefined);
  const closed = once(socket, 'close').then(() => (ended ? 'end' : 'reset'));
  return { socket, response: nth(0), nth, closed };
}
