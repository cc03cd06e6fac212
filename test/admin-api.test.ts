/**
 * The admin API on a real socket, over a real SQLite store: admins only, users and keys
 * created and changed, the secret shown once, usage listed and summed, and the 4xx answers.
 * It is mounted on a bare node:http server that renders errors as SluiceServer does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Accounts, credentialOf, KeyAuthenticator } from '../src/accounts/index.ts';
import { AdminApi, USAGE_CSV_COLUMNS } from '../src/admin/index.ts';
import { openaiGeneric } from '../src/dialects/index.ts';
import { sendError, toSluiceError } from '../src/http/index.ts';
import {
  type Limits,
  NO_LIMITS,
  openStore,
  type Store,
  type UsageRecord,
} from '../src/store/index.ts';
import { usageRecord } from './support/usage-record.ts';

const ADMIN_KEY = 'sk-sluice-test-admin-key-0123456789abcdef';
const PASSWORD = 'correct horse battery';
const KEY_DEFAULTS: Limits = { ...NO_LIMITS, rpm: 100, maxStreams: 3 };

interface Reply {
  status: number;
  headers: Headers;
  // Parsed JSON: tests read what they expect and assert the rest.
  body: Record<string, unknown> & {
    data?: Record<string, unknown>[];
    error?: ErrorBody;
  };
}

interface ErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string;
}

/** The OpenAI-shaped error object of a reply, which must have one. */
function errorOf(reply: Reply): ErrorBody {
  assert.ok(reply.body.error !== undefined, `expected an error, got ${JSON.stringify(reply.body)}`);
  return reply.body.error;
}

/** The `data` array of a list reply, which must have one. */
function dataOf(reply: Reply): Record<string, unknown>[] {
  assert.ok(
    Array.isArray(reply.body.data),
    `expected {data: […]}, got ${JSON.stringify(reply.body)}`,
  );
  return reply.body.data;
}

describe('admin API', () => {
  let dir: string;
  let store: Store;
  let server: Server;
  let base: string;

  async function call(
    method: string,
    path: string,
    options: { key?: string | null; body?: unknown; raw?: string } = {},
  ): Promise<Reply> {
    const key = options.key === undefined ? ADMIN_KEY : options.key;
    const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Reply['body'],
    };
  }

  /** A GET whose answer is read as text (a CSV file, or the JSON error in its place). */
  async function download(
    path: string,
  ): Promise<{ status: number; headers: Headers; text: string }> {
    const response = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  function record(
    fields: Partial<UsageRecord> & Pick<UsageRecord, 'id' | 'startedAt'>,
  ): UsageRecord {
    return usageRecord({
      endedAt: fields.startedAt + 500,
      model: 'gpt-4o',
      upstream: 'openai',
      upstreamTtfbMs: 50,
      clientTtfbMs: 60,
      events: 3,
      bytes: 300,
      maxGapMs: 20,
      promptTokens: 10,
      completionTokens: 4,
      cost: 0.001,
      usageSource: 'upstream',
      ...fields,
    });
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-admin-api-'));
    store = await openStore({ dataDir: dir });
    const defaultLimits = { key: KEY_DEFAULTS, user: NO_LIMITS };
    const authenticator = new KeyAuthenticator({ adminKey: ADMIN_KEY, store });
    const api = new AdminApi({
      accounts: new Accounts(store, defaultLimits),
      store,
      identify: (req) => authenticator.authenticate(credentialOf(req.headers)),
      defaultLimits,
      upstreams: () => [],
    });
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://sluice.invalid');
      api.handle(req, res, url).catch((thrown: unknown) => {
        const error = toSluiceError(thrown);
        if (error.status === 413) res.setHeader('connection', 'close');
        sendError(res, error, openaiGeneric);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  let bobKey = '';
  let bobKeyPrefix = '';
  let adaKey = '';

  it('refuses a request without a key (401) and with an unknown one (401)', async () => {
    const none = await call('GET', '/api/admin/users', { key: null });
    assert.equal(none.status, 401);
    assert.equal(errorOf(none).type, 'authentication_error');
    assert.equal(errorOf(none).code, 'invalid_api_key');
    const wrong = await call('GET', '/api/admin/nope', { key: 'sk-sluice-wrong' });
    assert.equal(wrong.status, 401, 'no route is revealed before authentication');
  });

  it('creates users: the first an admin, then plain users; lists them', async () => {
    assert.deepEqual((await call('GET', '/api/admin/users')).body, { data: [] });
    const ada = await call('POST', '/api/admin/users', {
      body: { username: 'ada', password: PASSWORD },
    });
    assert.equal(ada.status, 201);
    assert.equal(ada.body.username, 'ada');
    assert.equal(ada.body.role, 'admin');
    assert.equal(ada.body.password, undefined);
    assert.equal(ada.body.password_hash, undefined);
    const bob = await call('POST', '/api/admin/users', {
      body: { username: 'bob', password: PASSWORD, limits: { rpm: 30, budget_period: 'day' } },
    });
    assert.equal(bob.status, 201);
    assert.equal(bob.body.role, 'user');
    assert.deepEqual(bob.body.limits, {
      rpm: 30,
      tpm: null,
      max_streams: null,
      budget_tokens: null,
      budget_cost: null,
      budget_period: 'day',
    });
    const listed = await call('GET', '/api/admin/users');
    assert.deepEqual(
      dataOf(listed).map((u) => [u.username, u.role, u.disabled]),
      [
        ['ada', 'admin', false],
        ['bob', 'user', false],
      ],
    );
    assert.equal((await call('GET', '/api/admin/users/BOB')).body.username, 'bob');
  });

  it('refuses a taken username (409), a weak password, unknown and ill-typed fields (400)', async () => {
    const taken = await call('POST', '/api/admin/users', {
      body: { username: 'Ada', password: PASSWORD },
    });
    assert.equal(taken.status, 409);
    assert.equal(errorOf(taken).code, 'username_taken');
    assert.equal(errorOf(taken).param, 'username');
    const weak = await call('POST', '/api/admin/users', {
      body: { username: 'carol', password: 'short' },
    });
    assert.equal(weak.status, 400);
    assert.equal(errorOf(weak).code, 'weak_password');
    const unknown = await call('POST', '/api/admin/users', {
      body: { username: 'carol', password: PASSWORD, admin: true },
    });
    assert.equal(unknown.status, 400);
    assert.equal(errorOf(unknown).code, 'unknown_field');
    assert.equal(errorOf(unknown).param, 'admin');
    const missing = await call('POST', '/api/admin/users', { body: { username: 'carol' } });
    assert.equal(missing.status, 400);
    assert.equal(errorOf(missing).param, 'password');
    const badLimit = await call('POST', '/api/admin/users', {
      body: { username: 'carol', password: PASSWORD, limits: { rpm: 0 } },
    });
    assert.equal(badLimit.status, 400);
    assert.equal(errorOf(badLimit).param, 'limits.rpm');
    const badRole = await call('POST', '/api/admin/users', {
      body: { username: 'carol', password: PASSWORD, role: 'root' },
    });
    assert.equal(badRole.status, 400);
    assert.equal(errorOf(badRole).type, 'invalid_request_error');
    assert.equal(dataOf(await call('GET', '/api/admin/users')).length, 2, 'nothing was created');
  });

  it('creates a key, shown once: the list never carries the secret', async () => {
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const created = await call('POST', '/api/admin/keys', {
      body: {
        user: 'bob',
        name: 'ci',
        models: ['gpt-*'],
        expires_at: expires,
        limits: { tpm: 5000 },
      },
    });
    assert.equal(created.status, 201);
    bobKey = String(created.body.key);
    bobKeyPrefix = String(created.body.prefix);
    assert.match(bobKey, /^sk-sluice-[0-9A-Za-z]{40}$/);
    assert.ok(bobKey.startsWith(bobKeyPrefix));
    assert.equal(created.body.user, 'bob');
    assert.equal(created.body.name, 'ci');
    assert.deepEqual(created.body.models, ['gpt-*']);
    assert.equal(created.body.expires_at, expires);
    assert.deepEqual(created.body.limits, {
      rpm: 100,
      tpm: 5000,
      max_streams: 3,
      budget_tokens: null,
      budget_cost: null,
      budget_period: 'month',
    });
    const plain = await call('POST', '/api/admin/keys', { body: { user: 'ada' } });
    assert.equal(plain.status, 201);
    adaKey = String(plain.body.key);
    assert.equal((plain.body.limits as Record<string, unknown>).rpm, 100, 'the default key limits');

    const all = await call('GET', '/api/admin/keys');
    assert.equal(dataOf(all).length, 2);
    assert.ok(
      dataOf(all).every((k) => !('key' in k)),
      'no secret in the list',
    );
    const bobs = await call('GET', '/api/admin/keys?user=bob');
    assert.deepEqual(
      dataOf(bobs).map((k) => k.prefix),
      [bobKeyPrefix],
    );
    assert.equal((await call('GET', '/api/admin/keys?user=nobody')).status, 404);

    const unknownUser = await call('POST', '/api/admin/keys', { body: { user: 'zed' } });
    assert.equal(unknownUser.status, 404);
    assert.equal(errorOf(unknownUser).code, 'user_not_found');
    const past = await call('POST', '/api/admin/keys', {
      body: { user: 'bob', expires_at: '2020-01-01' },
    });
    assert.equal(past.status, 400);
    assert.equal(errorOf(past).code, 'invalid_expiry');
    // A span past any date (a 500 once: no Date, no row for it).
    for (const expires_at of ['100000000w', '2026-02-30']) {
      const unreadable = await call('POST', '/api/admin/keys', {
        body: { user: 'bob', expires_at },
      });
      assert.equal(unreadable.status, 400, expires_at);
      assert.equal(errorOf(unreadable).param, 'expires_at', expires_at);
    }
    const badModels = await call('POST', '/api/admin/keys', {
      body: { user: 'bob', models: 'gpt-4o' },
    });
    assert.equal(badModels.status, 400);
    assert.equal(errorOf(badModels).param, 'models');
  });

  it('admits admin users’ keys, refuses other users’ keys with 403 admin_only', async () => {
    const refused = await call('GET', '/api/admin/users', { key: bobKey });
    assert.equal(refused.status, 403);
    assert.equal(errorOf(refused).type, 'permission_error');
    assert.equal(errorOf(refused).code, 'admin_only');
    assert.match(errorOf(refused).message, /"bob"/);
    const admitted = await call('GET', '/api/admin/users', { key: adaKey });
    assert.equal(admitted.status, 200);
  });

  it('changes a user: disabled, limits merged, role; a refused change changes nothing', async () => {
    const disabled = await call('PATCH', '/api/admin/users/bob', { body: { disabled: true } });
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.disabled, true);
    const refused = await call('GET', '/api/admin/users', { key: bobKey });
    assert.equal(errorOf(refused).code, 'account_disabled');

    const weak = await call('PATCH', '/api/admin/users/bob', {
      body: { password: 'short', disabled: false },
    });
    assert.equal(weak.status, 400);
    assert.equal((await call('GET', '/api/admin/users/bob')).body.disabled, true, 'still disabled');

    const changed = await call('PATCH', '/api/admin/users/bob', {
      body: {
        disabled: false,
        limits: { tpm: 1000, rpm: null },
        role: 'admin',
        password: 'a new fine password',
      },
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.disabled, false);
    assert.equal(changed.body.role, 'admin');
    assert.deepEqual(changed.body.limits, {
      rpm: null,
      tpm: 1000,
      max_streams: null,
      budget_tokens: null,
      budget_cost: null,
      budget_period: 'day',
    });
    // bob's key is held to models and an expiry: an app's key, not an admin's.
    assert.equal((await call('GET', '/api/admin/users', { key: bobKey })).status, 403);
    const plain = await call('POST', '/api/admin/keys', { body: { user: 'bob', name: 'plain' } });
    assert.equal(
      (await call('GET', '/api/admin/users', { key: String(plain.body.key) })).status,
      200,
      'now an admin',
    );
    await call('DELETE', `/api/admin/keys/${encodeURIComponent(String(plain.body.prefix))}`);
    await call('PATCH', '/api/admin/users/bob', { body: { role: 'user' } });

    const typo = await call('PATCH', '/api/admin/users/bob', { body: { disable: true } });
    assert.equal(typo.status, 400);
    assert.equal(errorOf(typo).code, 'unknown_field');
    const nobody = await call('PATCH', '/api/admin/users/nobody', { body: { disabled: true } });
    assert.equal(nobody.status, 404);
  });

  it('revokes a key by prefix: the revoked key is answered and refused from then on', async () => {
    const ambiguous = await call('DELETE', '/api/admin/keys/sk-sluice-');
    assert.equal(ambiguous.status, 400);
    assert.equal(errorOf(ambiguous).code, 'ambiguous_key');
    const revoked = await call('DELETE', `/api/admin/keys/${encodeURIComponent(bobKeyPrefix)}`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.prefix, bobKeyPrefix);
    assert.equal(revoked.body.user, 'bob');
    assert.match(String(revoked.body.revoked_at), /^\d{4}-/);
    assert.equal(revoked.body.key, undefined);
    const refused = await call('GET', '/api/admin/users', { key: bobKey });
    assert.equal(refused.status, 401);
    assert.equal((await call('DELETE', '/api/admin/keys/sk-sluice-none')).status, 404);
  });

  it('changes a key’s limits, by id or prefix, merged over its own; a bad change changes nothing', async () => {
    const [ada] = dataOf(await call('GET', '/api/admin/keys?user=ada'));
    assert.ok(ada !== undefined);
    const id = String(ada.id);
    const prefix = String(ada.prefix);
    const changed = await call('PATCH', `/api/admin/keys/${id}`, {
      body: { limits: { rpm: 5, budget_cost: 2.5, budget_period: 'day' } },
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.id, id);
    assert.equal(changed.body.user, 'ada');
    assert.equal(changed.body.key, undefined, 'no secret');
    assert.deepEqual(changed.body.limits, {
      rpm: 5,
      tpm: null,
      max_streams: 3,
      budget_tokens: null,
      budget_cost: 2.5,
      budget_period: 'day',
    });
    const byPrefix = await call('PATCH', `/api/admin/keys/${encodeURIComponent(prefix)}`, {
      body: { limits: { rpm: null, max_streams: 1 } },
    });
    assert.equal(byPrefix.status, 200);
    const expected = {
      rpm: null,
      tpm: null,
      max_streams: 1,
      budget_tokens: null,
      budget_cost: 2.5,
      budget_period: 'day',
    };
    assert.deepEqual(byPrefix.body.limits, expected);

    for (const [body, param, code] of [
      [{ limits: { rpm: 1.5 } }, 'limits.rpm', 'invalid_field'],
      // Past 2^53 a count is no longer exact, and past 2^63 PostgreSQL's bigint refused it (a 500).
      [{ limits: { rpm: 2 ** 53 } }, 'limits.rpm', 'invalid_field'],
      [{ limits: { budget_tokens: 1e20 } }, 'limits.budget_tokens', 'invalid_field'],
      [{ limits: { max_streams: 0 } }, 'limits.max_streams', 'invalid_field'],
      [{ limits: { budget_cost: -1 } }, 'limits.budget_cost', 'invalid_field'],
      [{ limits: { budget_period: 'week' } }, 'limits.budget_period', 'invalid_field'],
      [{ limits: { rpn: 5 } }, 'rpn', 'unknown_field'],
      [{ limits: 60 }, 'limits', 'invalid_field'],
      [{ name: 'renamed' }, 'name', 'unknown_field'],
    ] as const) {
      const refused = await call('PATCH', `/api/admin/keys/${id}`, { body });
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal(errorOf(refused).param, param);
      assert.equal(errorOf(refused).code, code);
    }
    const [unchanged] = dataOf(await call('GET', '/api/admin/keys?user=ada'));
    assert.deepEqual(unchanged?.limits, expected, 'refused changes changed nothing');
    assert.equal((await store.getKey(id))?.limits.maxStreams, 1, 'stored, as the gateway reads it');

    const missing = await call('PATCH', '/api/admin/keys/sk-sluice-none', {
      body: { limits: { rpm: 1 } },
    });
    assert.equal(missing.status, 404);
    assert.equal(errorOf(missing).code, 'key_not_found');
    const onlyOneInUse = await call('PATCH', '/api/admin/keys/sk-sluice-', {
      body: { limits: { max_streams: 2 } },
    });
    // Bob's key is revoked: "sk-sluice-" names only Ada's key in use.
    assert.equal(onlyOneInUse.status, 200);
    assert.equal(onlyOneInUse.body.id, id);
    const second = await call('POST', '/api/admin/keys', { body: { user: 'ada' } });
    const ambiguous = await call('PATCH', '/api/admin/keys/sk-sluice-', {
      body: { limits: { rpm: 1 } },
    });
    assert.equal(ambiguous.status, 400);
    assert.equal(errorOf(ambiguous).code, 'ambiguous_key');
    await call('DELETE', `/api/admin/keys/${String(second.body.id)}`);
  });

  it('lists usage records and sums them, filtered by user and time', async () => {
    const ada = await store.findUserByName('ada');
    const bob = await store.findUserByName('bob');
    assert.ok(ada !== undefined && bob !== undefined);
    const t = Date.parse('2026-05-01T12:00:00Z');
    await store.writeUsage([
      record({ id: 'r1', startedAt: t, userId: ada.id, username: 'ada' }),
      record({ id: 'r2', startedAt: t + 1000, userId: bob.id, username: 'bob', model: 'claude-x' }),
      record({
        id: 'r3',
        startedAt: t + 86_400_000,
        userId: bob.id,
        username: 'bob',
        promptTokens: 100,
        cachedTokens: 60,
        reasoningTokens: 3,
        searches: 2,
      }),
    ]);
    const all = await call('GET', '/api/admin/usage');
    assert.deepEqual(
      dataOf(all).map((r) => r.id),
      ['r3', 'r2', 'r1'],
    );
    assert.equal(dataOf(all)[0]?.user, 'bob');
    assert.equal(dataOf(all)[0]?.prompt_tokens, 100);
    assert.equal(dataOf(all)[0]?.started_at, '2026-05-02T12:00:00.000Z');
    const ids = async (query: string) =>
      dataOf(await call('GET', `/api/admin/usage?${query}`)).map((r) => r.id);
    assert.deepEqual(await ids('user=bob'), ['r3', 'r2']);
    assert.deepEqual(await ids('since=2026-05-02'), ['r3']);
    assert.deepEqual(await ids('until=2026-05-01T12:00:01Z'), ['r1']);
    assert.deepEqual(await ids('limit=2'), ['r3', 'r2']);

    const summary = await call('GET', '/api/admin/usage/summary?by=user,model');
    assert.equal(summary.status, 200);
    assert.deepEqual(summary.body.data, [
      {
        user: 'ada',
        model: 'gpt-4o',
        requests: 1,
        prompt_tokens: 10,
        completion_tokens: 4,
        cached_tokens: 0,
        reasoning_tokens: 0,
        searches: 0,
        cost: 0.001,
        client_ttfb_ms_p50: 60,
      },
      {
        user: 'bob',
        model: 'claude-x',
        requests: 1,
        prompt_tokens: 10,
        completion_tokens: 4,
        cached_tokens: 0,
        reasoning_tokens: 0,
        searches: 0,
        cost: 0.001,
        client_ttfb_ms_p50: 60,
      },
      {
        user: 'bob',
        model: 'gpt-4o',
        requests: 1,
        prompt_tokens: 100,
        completion_tokens: 4,
        cached_tokens: 60,
        reasoning_tokens: 3,
        searches: 2,
        cost: 0.001,
        client_ttfb_ms_p50: 60,
      },
    ]);
    const byDay = await call('GET', '/api/admin/usage/summary?user=bob');
    assert.deepEqual(
      dataOf(byDay).map((r) => [r.user, r.model, r.day, r.requests]),
      [
        ['bob', 'claude-x', '2026-05-01', 1],
        ['bob', 'gpt-4o', '2026-05-02', 1],
      ],
    );
    const total = await call(
      'GET',
      '/api/admin/usage/summary?by=&since=2026-05-01&until=2026-05-03',
    );
    assert.equal(dataOf(total)[0]?.requests, 3);
    assert.equal(dataOf(total)[0]?.searches, 2);
    assert.equal(dataOf(total)[0]?.cached_tokens, 60);

    for (const query of [
      'usage?since=yesterday',
      'usage?limit=-1',
      'usage?limit=100001',
      'usage/summary?by=colour',
    ]) {
      const bad = await call('GET', `/api/admin/${query}`);
      assert.equal(bad.status, 400, query);
      assert.equal(errorOf(bad).code, 'invalid_query');
    }
    assert.equal((await call('GET', '/api/admin/usage?user=nobody')).status, 404);
  });

  describe('the request log: filters, pages, CSV', () => {
    const t = Date.parse('2026-06-01T08:00:00Z');
    const window = `since=2026-06-01&until=2026-06-02`;
    let ada: { id: string; prefix: string };
    let bob: { id: string; prefix: string };

    before(async () => {
      const keys = dataOf(await call('GET', '/api/admin/keys'));
      const keyOf = (user: string) => {
        const key = keys.find((k) => k.user === user);
        assert.ok(key !== undefined);
        return { id: String(key.id), prefix: String(key.prefix) };
      };
      ada = keyOf('ada');
      bob = keyOf('bob');
      const adaUser = await store.findUserByName('ada');
      const bobUser = await store.findUserByName('bob');
      assert.ok(adaUser !== undefined && bobUser !== undefined);
      const asAda = { userId: adaUser.id, username: 'ada', keyId: ada.id, keyPrefix: ada.prefix };
      const asBob = { userId: bobUser.id, username: 'bob', keyId: bob.id, keyPrefix: bob.prefix };
      await store.writeUsage([
        record({ id: 'q1', startedAt: t, ...asAda, model: 'gpt-4o', upstream: 'openai' }),
        record({
          id: 'q2',
          startedAt: t + 1,
          ...asAda,
          model: 'gpt-4o-mini',
          requestedModel: 'fast',
          upstream: 'azure',
          endReason: 'client_cancelled',
        }),
        record({
          id: 'q3',
          startedAt: t + 2,
          ...asBob,
          model: 'claude-x',
          upstream: null,
          status: 429,
          endReason: 'rejected',
          promptTokens: 0,
          completionTokens: 0,
          cost: null,
        }),
        record({
          id: 'q4',
          startedAt: t + 3,
          ...asBob,
          upstream: 'azure',
          status: 502,
          endReason: 'upstream_error',
        }),
        record({
          id: 'q5',
          startedAt: t + 4,
          userId: adaUser.id,
          username: 'ada',
          keyPrefix: 'web',
          upstream: 'openai',
        }),
        // The web page's model list, as /api/models makes one on every load.
        record({
          id: 'q6',
          startedAt: t + 5,
          ...asAda,
          endpoint: '/v1/models',
          model: null,
          upstream: null,
          promptTokens: 0,
          completionTokens: 0,
          cost: null,
        }),
      ]);
    });

    const ids = async (query: string) => {
      const reply = await call('GET', `/api/admin/usage?${window}&${query}`);
      assert.equal(reply.status, 200, `${query}: ${JSON.stringify(reply.body)}`);
      return dataOf(reply).map((r) => r.id);
    };

    it('filters by user, key (id or prefix), model or alias, upstream, status or class, end reason, id', async () => {
      assert.deepEqual(await ids(''), ['q6', 'q5', 'q4', 'q3', 'q2', 'q1']);
      assert.deepEqual(await ids('user=ada'), ['q6', 'q5', 'q2', 'q1']);
      assert.deepEqual(await ids(`key=${ada.id}`), ['q6', 'q2', 'q1']);
      assert.deepEqual(await ids(`key=${encodeURIComponent(bob.prefix)}`), ['q4', 'q3']);
      assert.deepEqual(await ids('key=sk-sluice-'), ['q6', 'q4', 'q3', 'q2', 'q1']);
      assert.deepEqual(await ids('key=web'), ['q5']);
      assert.deepEqual(await ids('key=sk-sluice-nothing'), []);
      assert.deepEqual(await ids('model=gpt-4o'), ['q5', 'q4', 'q1']);
      assert.deepEqual(await ids('model=fast'), ['q2'], 'the alias asked for');
      assert.deepEqual(await ids('upstream=azure'), ['q4', 'q2']);
      assert.deepEqual(await ids('status=429'), ['q3']);
      assert.deepEqual(await ids('status=4xx'), ['q3']);
      assert.deepEqual(await ids('status=5XX'), ['q4']);
      assert.deepEqual(await ids('status=2xx'), ['q6', 'q5', 'q2', 'q1']);
      assert.deepEqual(await ids('status=200&user=bob'), []);
      assert.deepEqual(await ids('end_reason=client_cancelled'), ['q2']);
      assert.deepEqual(await ids('end_reason=upstream_error&user=bob&status=5xx'), ['q4']);
      assert.deepEqual(await ids('id=q3'), ['q3']);
      const late = await call(
        'GET',
        '/api/admin/usage?since=2026-06-01T08:00:00.003Z&until=2026-06-02',
      );
      assert.deepEqual(
        dataOf(late).map((r) => r.id),
        ['q6', 'q5', 'q4'],
      );
      const [one] = dataOf(await call('GET', `/api/admin/usage?id=q2`));
      assert.ok(one !== undefined);
      assert.equal(one.requested_model, 'fast');
      assert.equal(one.client_ttfb_ms, 60);
    });

    it('pages newest first with next_cursor until there is no more', async () => {
      const seen: unknown[] = [];
      let query = `${window}&limit=4`;
      const pages: (string | null)[] = [];
      for (;;) {
        const reply = await call('GET', `/api/admin/usage?${query}`);
        seen.push(...dataOf(reply).map((r) => r.id));
        const next = reply.body.next_cursor as string | null;
        pages.push(next);
        if (next === null) break;
        query = `${window}&limit=4&cursor=${encodeURIComponent(next)}`;
      }
      assert.deepEqual(seen, ['q6', 'q5', 'q4', 'q3', 'q2', 'q1']);
      assert.equal(pages.length, 2);
      // A page that ends exactly at the last record says so.
      const exact = await call('GET', `/api/admin/usage?${window}&limit=6`);
      assert.equal(exact.body.next_cursor, null);
      // Filters and the cursor together: the second page of bob's records.
      const first = await call('GET', `/api/admin/usage?${window}&user=bob&limit=1`);
      const cursor = encodeURIComponent(String(first.body.next_cursor));
      assert.deepEqual(await ids(`user=bob&limit=1&cursor=${cursor}`), ['q3']);
    });

    it('sums with the same filters, and leaves the model-list calls out of the counts', async () => {
      const byModel = await call(
        'GET',
        `/api/admin/usage/summary?by=model&${window}&upstream=azure`,
      );
      assert.deepEqual(
        dataOf(byModel).map((r) => [r.model, r.requests]),
        [
          ['gpt-4o', 1],
          ['gpt-4o-mini', 1],
        ],
      );
      const byUser = await call('GET', `/api/admin/usage/summary?by=user&${window}`);
      assert.deepEqual(
        dataOf(byUser).map((r) => [r.user, r.requests]),
        [
          ['ada', 3],
          ['bob', 2],
        ],
        'q6, the model list, is a record but not a request counted',
      );
      const byDay = await call('GET', `/api/admin/usage/summary?by=day&${window}&key=web`);
      assert.deepEqual(
        dataOf(byDay).map((r) => [r.day, r.requests]),
        [['2026-06-01', 1]],
      );
    });

    it('refuses unreadable, empty, unknown and repeated parameters with 400 invalid_query', async () => {
      for (const [query, param, message] of [
        [
          'status=abc',
          'status',
          /"status" must be an HTTP status such as 429, or a class such as 4xx; got "abc"/,
        ],
        ['status=600', 'status', /got "600"/],
        ['status=4x', 'status', /got "4x"/],
        [
          'end_reason=finished',
          'end_reason',
          /"end_reason" must be one of done, client_cancelled, .*incomplete; got "finished"/,
        ],
        ['since=yesterday', 'since', /"since" must be an ISO 8601 time/],
        ['until=13:00', 'until', /"until" must be an ISO 8601 time/],
        // No such day or hour (Date.parse rolls them over), and a span no store could keep.
        ['since=2026-02-30', 'since', /"since" must be an ISO 8601 time/],
        ['until=2026-05-01T24:00Z', 'until', /"until" must be an ISO 8601 time/],
        ['since=99999999999999999999w', 'since', /"since" must be an ISO 8601 time/],
        ['model=', 'model', /"model" must be a value \(leave it out for every record\)/],
        ['user=%20', 'user', /"user" must be a value/],
        ['key=', 'key', /"key" must be a value/],
        ['modle=gpt-4o', 'modle', /Unknown parameter "modle"; this URL takes id, user, key, model/],
        ['model=a&model=b', 'model', /"model" is given more than once/],
        ['format=xml', 'format', /"format" must be json or csv; got "xml"/],
        [
          'cursor=bm90IGEgY3Vyc29y',
          'cursor',
          /"cursor" must be the next_cursor of an earlier page/,
        ],
        ['limit=-1', 'limit', /"limit" must be a whole number/],
      ] as const) {
        const bad = await call('GET', `/api/admin/usage?${query}`);
        assert.equal(bad.status, 400, query);
        assert.equal(errorOf(bad).code, 'invalid_query', query);
        assert.equal(errorOf(bad).param, param, query);
        assert.match(errorOf(bad).message, message, query);
      }
      for (const query of ['format=pdf', 'limit=5', 'status=9xx', 'by=colour']) {
        const bad = await call('GET', `/api/admin/usage/summary?${query}`);
        assert.equal(bad.status, 400, query);
        assert.equal(errorOf(bad).code, 'invalid_query', query);
      }
      assert.equal((await call('GET', '/api/admin/usage?user=nobody')).status, 404);
      // An error is JSON, whatever format was asked for.
      const csvError = await download('/api/admin/usage?format=csv&status=abc');
      assert.equal(csvError.status, 400);
      assert.match(csvError.headers.get('content-type') ?? '', /^application\/json/);
    });

    it('exports CSV: the JSON fields as columns, RFC 4180 quoting, formulas neutralised', async () => {
      const hostile = {
        c1: '=HYPERLINK("http://evil.example","click")',
        c2: '+1+1',
        c3: '-2+3',
        c4: '@SUM(A1:A2)',
        c5: '\tpadded',
        c6: '\rreturn',
        c7: 'a,b "quoted"\nsecond line',
        c8: 'plain-model',
      };
      const c = Date.parse('2026-07-01T00:00:00Z');
      await store.writeUsage(
        Object.entries(hostile).map(([id, model], i) =>
          record({ id, startedAt: c + i, model, username: 'ada', clientIp: '=1+1' }),
        ),
      );
      const csvWindow = 'since=2026-07-01&until=2026-07-02';
      const reply = await download(`/api/admin/usage?${csvWindow}&format=csv`);
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.match(
        reply.headers.get('content-disposition') ?? '',
        /^attachment; filename="sluice-usage-\d{8}T\d{6}Z\.csv"$/,
      );
      assert.equal(reply.headers.get('x-sluice-next-cursor'), null);
      const lines = reply.text.split('\r\n');
      assert.equal(lines[0], USAGE_CSV_COLUMNS.join(','));
      assert.equal(lines.at(-1), '', 'every line ends with CRLF');
      // Byte for byte: quotes doubled, the formula prefixed, the newline kept inside quotes.
      assert.ok(reply.text.includes(`,"'=HYPERLINK(""http://evil.example"",""click"")",`));
      assert.ok(reply.text.includes(`,"a,b ""quoted""\nsecond line",`));
      assert.ok(reply.text.includes(`,'=1+1,`), 'the client address too');

      const rows = parseCsv(reply.text);
      const header = rows.shift();
      assert.deepEqual(header, [...USAGE_CSV_COLUMNS]);
      const json = dataOf(await call('GET', `/api/admin/usage?${csvWindow}`));
      assert.equal(rows.length, json.length);
      const column = (name: string) => USAGE_CSV_COLUMNS.indexOf(name as never);
      for (const [i, row] of rows.entries()) {
        const view = json[i] ?? {};
        const model = String(view.model);
        assert.equal(
          row[column('model')],
          /^[=+\-@\t\r]/.test(model) ? `'${model}` : model,
          `row ${view.id as string}`,
        );
        // Every other column is the JSON value as text; null is an empty field.
        for (const name of USAGE_CSV_COLUMNS) {
          if (name === 'model' || name === 'client_ip') continue;
          const value = view[name];
          const text =
            value === null ? '' : typeof value === 'number' ? String(value) : (value as string);
          assert.equal(row[column(name)], text, name);
        }
      }
      assert.deepEqual(
        rows.map((r) => r[column('id')]),
        ['c8', 'c7', 'c6', 'c5', 'c4', 'c3', 'c2', 'c1'],
      );

      const paged = await download(`/api/admin/usage?${csvWindow}&format=csv&limit=3`);
      assert.equal(parseCsv(paged.text).length, 4);
      const next = paged.headers.get('x-sluice-next-cursor');
      assert.ok(next !== null);
      const rest = await download(
        `/api/admin/usage?${csvWindow}&format=csv&limit=10&cursor=${encodeURIComponent(next)}`,
      );
      assert.deepEqual(
        parseCsv(rest.text)
          .slice(1)
          .map((r) => r[0]),
        ['c5', 'c4', 'c3', 'c2', 'c1'],
      );

      const empty = await download(`/api/admin/usage?${csvWindow}&format=csv&user=bob`);
      assert.equal(empty.text, `${USAGE_CSV_COLUMNS.join(',')}\r\n`, 'a header, even for none');

      const summary = await download(
        `/api/admin/usage/summary?${csvWindow}&by=user,model&model=c1&format=csv`,
      );
      assert.equal(summary.status, 200);
      assert.equal(summary.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.match(
        summary.headers.get('content-disposition') ?? '',
        /^attachment; filename="sluice-usage-summary-\d{8}T\d{6}Z\.csv"$/,
      );
      const summaryAll = await download(
        `/api/admin/usage/summary?${csvWindow}&by=user,model&format=csv&model=${encodeURIComponent(hostile.c1)}`,
      );
      assert.equal(
        summaryAll.text,
        'user,model,requests,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens,searches,cost,client_ttfb_ms_p50\r\n' +
          `ada,"'=HYPERLINK(""http://evil.example"",""click"")",1,10,4,0,0,0,0.001,60\r\n`,
      );
    });
  });

  it('a key’s name is at most 200 characters: longer is 400 on name, nothing made', async () => {
    const long = await call('POST', '/api/admin/keys', {
      body: { user: 'ada', name: 'n'.repeat(201) },
    });
    assert.equal(long.status, 400);
    assert.equal(errorOf(long).param, 'name');
  });

  it('an admin’s key held to some models or an expiry does not administer: it cannot mint a wider key', async () => {
    const made = async (body: Record<string, unknown>) =>
      String((await call('POST', '/api/admin/keys', { body: { user: 'ada', ...body } })).body.key);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    for (const key of [
      await made({ models: ['gpt-4o-mini'] }),
      await made({ expires_at: tomorrow }),
    ]) {
      const minted = await call('POST', '/api/admin/keys', { key, body: { user: 'ada' } });
      assert.equal(minted.status, 403);
      assert.equal(errorOf(minted).code, 'admin_only');
      assert.match(errorOf(minted).message, /held to some models or an expiry/);
      assert.equal((await call('GET', '/api/admin/users', { key })).status, 403);
    }
    // Limits of its own cap what a key spends, not what it administers.
    const limited = await made({ limits: { rpm: 5 } });
    assert.equal((await call('GET', '/api/admin/users', { key: limited })).status, 200);
  });

  it('answers 404 for unknown URLs, 405 with Allow for wrong methods, 400 for bad JSON, 413 over 1 MiB', async () => {
    for (const path of [
      '/api/admin',
      '/api/admin/',
      '/api/admin/nope',
      '/api/admin/users/bob/keys',
    ]) {
      const missing = await call('GET', path);
      assert.equal(missing.status, 404, path);
      assert.equal(errorOf(missing).type, 'not_found_error');
    }
    const wrong = await call('DELETE', '/api/admin/users');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, POST');
    assert.equal(errorOf(wrong).code, 'method_not_allowed');
    assert.equal((await call('PUT', '/api/admin/keys/x')).headers.get('allow'), 'PATCH, DELETE');

    const malformed = await call('POST', '/api/admin/users', { raw: '{"username": "carol",' });
    assert.equal(malformed.status, 400);
    assert.equal(errorOf(malformed).code, 'invalid_json');
    const notObject = await call('POST', '/api/admin/keys', { raw: '["bob"]' });
    assert.equal(notObject.status, 400);
    assert.equal(errorOf(notObject).code, 'invalid_json');
    const badEscape = await call('GET', '/api/admin/users/%E0%A4%A');
    assert.equal(badEscape.status, 400);

    const huge = await call('POST', '/api/admin/users', {
      raw: `{"username":"${'x'.repeat(1024 * 1024)}"}`,
    });
    assert.equal(huge.status, 413);
  });
});

/** RFC 4180, read back: quoted fields with doubled quotes and line breaks, CRLF between rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  assert.equal(field + row.join(''), '', 'the text ends with a line end');
  return rows;
}
