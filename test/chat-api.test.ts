/**
 * The chat service: first-run setup, sign-in with an httpOnly session cookie and CSRF tokens,
 * conversations that belong to one user, and `POST /api/chat` streaming an answer as SSE or
 * NDJSON — token by token, through the same relay, limits and records as `/v1`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatEvent } from '../src/sse/index.ts';
import {
  deferred,
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { browserClient, type BrowserClient } from './support/browser-client.ts';
import { keyFor, sluiceFor, type TestSluice } from './support/sluice.ts';
import { waitFor } from './support/wait.ts';

let upstream: FakeUpstream;
let sluice: TestSluice;
let ada: BrowserClient;

before(async () => {
  upstream = await startFakeUpstream();
  sluice = await sluiceFor(upstream.origin, {
    SLUICE_TRUSTED_PROXIES: '127.0.0.1',
    SLUICE_ADMIN_KEY: '',
  });
  ada = browserClient(sluice.url);
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});

const PASSWORD = 'correct horse battery staple';
const chunk = (text: string) =>
  formatEvent({
    data: JSON.stringify({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
    }),
  });
const finish = formatEvent({
  data: JSON.stringify({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
  }),
});
const DONE = formatEvent({ data: '[DONE]' });

/** An upstream that sends `words` one at a time, each only after the client acknowledged the last. */
function pacedWords(words: string[]) {
  const acks = words.map(() => deferred());
  return {
    ack: (i: number) => acks[i]?.resolve(),
    script: async ({ res }: { res: import('node:http').ServerResponse }) => {
      sseHead(res);
      for (const [i, word] of words.entries()) {
        res.write(chunk(word));
        await acks[i]?.promise;
      }
      res.end(finish + DONE);
    },
  };
}

describe('first run and sign-in', () => {
  it('offers setup while no user exists, refuses it without the CSRF token, then makes the admin', async () => {
    const first = await ada.call('GET', '/api/session');
    assert.deepEqual([first.body.user, first.body.setup_required], [null, true]);
    assert.ok(ada.cookies.has('sluice_csrf'));
    const forged = await ada.call(
      'POST',
      '/api/setup',
      { username: 'ada', password: PASSWORD },
      { csrf: false },
    );
    assert.equal(forged.status, 403);
    // A page whose own name was rebound to this server: its Host and Origin agree, and it has
    // the CSRF cookie and token of its origin. Setup on a DNS name is refused.
    const { port } = new URL(sluice.url);
    const rebound = await rawPost(
      '/api/setup',
      JSON.stringify({ username: 'mallory', password: PASSWORD }),
      {
        host: `rebound.example:${port}`,
        origin: `http://rebound.example:${port}`,
        cookie: `sluice_csrf=${ada.csrf}`,
        'x-csrf-token': ada.csrf,
        'content-type': 'application/json',
      },
    );
    assert.equal(rebound.status, 403);
    assert.equal(
      (JSON.parse(rebound.body) as { error: { code: string } }).error.code,
      'setup_host',
    );
    assert.equal(await sluice.running.store.countUsers(), 0);
    const setup = await ada.call('POST', '/api/setup', { username: 'ada', password: PASSWORD });
    assert.equal(setup.status, 201);
    assert.deepEqual((setup.body.user as { role: string }).role, 'admin');
    const cookie = setup.headers.getSetCookie().find((c) => c.startsWith('sluice_session='));
    assert.match(cookie ?? '', /HttpOnly/);
    assert.match(cookie ?? '', /SameSite=Lax/);
    const again = await browserClient(sluice.url).call('POST', '/api/setup', {
      username: 'eve',
      password: PASSWORD,
    });
    assert.equal(again.status, 403, 'no CSRF cookie yet');
    const eve = browserClient(sluice.url);
    await eve.call('GET', '/api/session');
    assert.equal(
      (await eve.call('POST', '/api/setup', { username: 'eve', password: PASSWORD })).status,
      409,
    );
  });

  it('signs in, throttles guessing per account, signs out', async () => {
    await sluice.running.store.countUsers();
    const bob = browserClient(sluice.url);
    await bob.call('GET', '/api/session');
    const admin = await ada.call('POST', '/api/admin/users', {
      username: 'bob',
      password: PASSWORD,
    });
    assert.equal(admin.status, 201, JSON.stringify(admin.body));
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await bob.call('POST', '/api/login', { username: 'bob', password: 'wrong password!' }))
          .status,
        401,
      );
    const locked = await bob.call('POST', '/api/login', { username: 'bob', password: PASSWORD });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    const carol = browserClient(sluice.url);
    await carol.call('GET', '/api/session');
    await ada.call('POST', '/api/admin/users', { username: 'carol', password: PASSWORD });
    assert.equal(
      (await carol.call('POST', '/api/login', { username: 'carol', password: PASSWORD })).status,
      200,
    );
    assert.equal(
      ((await carol.call('GET', '/api/session')).body.user as { username: string }).username,
      'carol',
    );
    assert.equal((await carol.call('POST', '/api/logout')).status, 204);
    assert.equal((await carol.call('GET', '/api/session')).body.user, null);
  });

  it('a new password or a disabled account signs the user out of every browser', async () => {
    await ada.call('POST', '/api/admin/users', { username: 'dave', password: PASSWORD });
    const signIn = async () => {
      const browser = browserClient(sluice.url);
      await browser.call('GET', '/api/session');
      await browser.call('POST', '/api/login', { username: 'dave', password: PASSWORD });
      return browser;
    };
    const who = async (browser: BrowserClient) =>
      (await browser.call('GET', '/api/session')).body.user as { username: string } | null;
    const [laptop, phone] = [await signIn(), await signIn()];
    assert.equal((await who(laptop))?.username, 'dave');
    assert.equal((await who(phone))?.username, 'dave');

    const renewed = `${PASSWORD} renewed`;
    await ada.call('PATCH', '/api/admin/users/dave', { password: renewed });
    assert.equal(await who(laptop), null);
    assert.equal(await who(phone), null);

    const again = browserClient(sluice.url);
    await again.call('GET', '/api/session');
    await again.call('POST', '/api/login', { username: 'dave', password: renewed });
    assert.equal((await who(again))?.username, 'dave');
    await ada.call('PATCH', '/api/admin/users/dave', { disabled: true });
    await ada.call('PATCH', '/api/admin/users/dave', { disabled: false });
    assert.equal(await who(again), null, 'enabling again does not revive the old session');
  });
});

describe('conversations', () => {
  let eve: BrowserClient;
  before(async () => {
    await ada.call('POST', '/api/admin/users', { username: 'eve', password: PASSWORD });
    eve = browserClient(sluice.url);
    await eve.call('GET', '/api/session');
    await eve.call('POST', '/api/login', { username: 'eve', password: PASSWORD });
  });

  it('one user cannot read, rename or delete another’s conversation', async () => {
    const mine = await ada.call('POST', '/api/conversations', { title: 'Ada’s plans' });
    const id = String(mine.body.id);
    assert.equal((await eve.call('GET', `/api/conversations/${id}`)).status, 404);
    assert.equal(
      (await eve.call('PATCH', `/api/conversations/${id}`, { title: 'mine now' })).status,
      404,
    );
    assert.equal((await eve.call('DELETE', `/api/conversations/${id}`)).status, 404);
    assert.equal(((await eve.call('GET', '/api/conversations')).body.data as unknown[]).length, 0);
    assert.equal(
      ((await ada.call('GET', `/api/conversations/${id}`)).body as { title: string }).title,
      'Ada’s plans',
    );
  });

  it('a title or model name of any length is not kept: titles are cut, long names refused', async () => {
    const long = await ada.call('POST', '/api/conversations', { title: 't'.repeat(100_000) });
    assert.equal(long.status, 201);
    assert.equal((long.body as { title: string }).title.length, 200);
    const before = ((await ada.call('GET', '/api/conversations')).body.data as unknown[]).length;
    const named = await ada.call('POST', '/api/conversations', { model: 'm'.repeat(100_000) });
    assert.equal(named.status, 400);
    assert.equal((named.body.error as { param: string }).param, 'model');
    const asked = await ada.call('POST', '/api/chat', {
      model: 'm'.repeat(100_000),
      message: 'hi',
    });
    assert.equal(asked.status, 400);
    assert.equal((asked.body.error as { param: string }).param, 'model');
    const after = ((await ada.call('GET', '/api/conversations')).body.data as unknown[]).length;
    assert.equal(after, before, 'nothing was stored for either');
  });

  it('refuses state changes without the CSRF token, but not for API keys', async () => {
    assert.equal(
      (await ada.call('POST', '/api/conversations', { title: 'x' }, { csrf: false })).status,
      403,
    );
    const key = await keyFor(sluice, 'eve');
    const withKey = await fetch(`${sluice.url}/api/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'from a script' }),
    });
    assert.equal(withKey.status, 201);
  });
});

describe('POST /api/chat', () => {
  it('SSE: each token reaches the page before the upstream sends the next, framed exactly', async () => {
    const words = ['Hello', ',', ' world', '!'];
    const paced = pacedWords(words);
    upstream.script(paced.script);
    const response = await ada.fetch('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' },
      body: JSON.stringify({ model: 'gpt-4.1-nano', message: 'Say hello' }),
    });
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('x-accel-buffering'), 'no');
    let raw = '';
    let acked = 0;
    const decoder = new TextDecoder();
    for await (const bytes of response.body ?? []) {
      raw += decoder.decode(bytes, { stream: true });
      while (
        acked < words.length &&
        raw.includes(`data: ${JSON.stringify({ type: 'delta', text: words[acked] })}\n\n`)
      )
        paced.ack(acked++);
    }
    const events = raw.split('\n\n').filter(Boolean);
    assert.ok(
      events.every((e) => e.startsWith('data: ') && !e.includes('\n')),
      'one data line per event, a blank line after each',
    );
    const parsed = events.map((e) => JSON.parse(e.slice(6)) as { type: string; text?: string });
    assert.deepEqual(
      parsed.map((e) => e.type),
      ['start', 'delta', 'delta', 'delta', 'delta', 'done'],
    );
    assert.equal(
      parsed
        .filter((e) => e.type === 'delta')
        .map((e) => e.text)
        .join(''),
      'Hello, world!',
    );

    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.deepEqual(
      [record?.username, record?.keyPrefix, record?.clientIp, record?.endpoint],
      ['ada', 'web', '198.51.100.7', '/v1/chat/completions'],
    );
  });

  it('NDJSON: one JSON object per line, each line flushed as its token arrives', async () => {
    const words = ['One', ' two', ' three'];
    const paced = pacedWords(words);
    upstream.script(paced.script);
    const response = await ada.fetch('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      body: JSON.stringify({ model: 'gpt-4.1-nano', message: 'Count' }),
    });
    assert.equal(response.headers.get('content-type'), 'application/x-ndjson; charset=utf-8');
    let raw = '';
    let acked = 0;
    for await (const bytes of response.body ?? []) {
      raw += new TextDecoder().decode(bytes);
      while (
        acked < words.length &&
        raw.includes(`${JSON.stringify({ type: 'delta', text: words[acked] })}\n`)
      )
        paced.ack(acked++);
    }
    assert.ok(raw.endsWith('\n'));
    const lines = raw
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l) as { type: string });
    assert.deepEqual(
      lines.map((l) => l.type),
      ['start', 'delta', 'delta', 'delta', 'done'],
    );
  });

  it('stopping mid-answer keeps the partial answer, marked stopped, and stops the upstream', async () => {
    upstream.script(({ res }) => {
      sseHead(res);
      res.write(chunk('Partial') + chunk(' answer')); // and then nothing more
    });
    const controller = new AbortController();
    const response = await ada.fetch('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1-nano', message: 'Tell me a long story' }),
      signal: controller.signal,
    });
    const call = await upstream.nextCall();
    let raw = '';
    const reader = response.body!.getReader();
    while (!raw.includes(' answer')) raw += new TextDecoder().decode((await reader.read()).value);
    const conversationId = (
      JSON.parse(raw.split('\n\n')[0]!.slice(6)) as { conversation_id: string }
    ).conversation_id;
    controller.abort();
    await call.aborted;
    await sluice.running.settled();
    const conversation = await waitForStatus(conversationId, 'stopped');
    assert.equal(conversation.messages.at(-1)?.content, 'Partial answer');
  });

  it('a limit refuses before the stream starts: a 429 the page can show', async () => {
    const user = await sluice.running.store.findUserByName('eve');
    assert.ok(user);
    await sluice.running.store.updateUser(user.id, {
      limits: {
        rpm: 1,
        tpm: null,
        maxStreams: null,
        budgetTokens: null,
        budgetCost: null,
        budgetPeriod: 'month',
      },
    });
    const eve = browserClient(sluice.url);
    await eve.call('GET', '/api/session');
    await eve.call('POST', '/api/login', { username: 'eve', password: PASSWORD });
    upstream.script(({ res }) => {
      sseHead(res);
      res.end(chunk('ok') + finish + DONE);
    });
    const first = await eve.fetch('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', message: 'one' }),
    });
    assert.equal(first.status, 200);
    assert.match(await first.text(), /"type":"done"/);
    const list = async () =>
      (await eve.call('GET', '/api/conversations')).body.data as { id: string }[];
    const kept = (await list()).length;
    const refused = await eve.call('POST', '/api/chat', { model: 'm', message: 'two' });
    assert.equal(refused.status, 429);
    assert.equal((refused.body.error as { code: string }).code, 'rate_limit_exceeded');
    // Nothing of a refused request is kept, in a new conversation or an old one (a user out of
    // budget could go on writing up to a megabyte a message to the store).
    assert.equal((await list()).length, kept);
    const [old] = await list();
    assert.ok(old);
    const before = await sluice.running.store.listMessages(old.id);
    const again = await eve.call('POST', '/api/chat', {
      conversationId: old.id,
      model: 'm',
      message: 'three',
    });
    assert.equal(again.status, 429);
    assert.deepEqual(await sluice.running.store.listMessages(old.id), before);
    assert.equal((await list()).length, kept);
  });
});

async function waitForStatus(id: string, status: string) {
  type Stored = { messages: { status: string; content: string }[] };
  let conversation: Stored = { messages: [] };
  await waitFor(
    async () => {
      conversation = (await ada.call('GET', `/api/conversations/${id}`)).body as Stored;
      return conversation.messages.at(-1)?.status === status;
    },
    { what: `the answer ${status}` },
  );
  return conversation;
}

/** A POST with headers fetch will not send (`Host`). */
async function rawPost(
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  const url = new URL(path, sluice.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
