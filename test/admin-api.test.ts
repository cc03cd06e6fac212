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
import { AdminApi } from '../src/admin/index.ts';
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
    assert.equal(
      (await call('GET', '/api/admin/users', { key: bobKey })).status,
      200,
      'now an admin',
    );
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
        cost: 0.001,
        client_ttfb_ms_p50: 60,
      },
      {
        user: 'bob',
        model: 'claude-x',
        requests: 1,
        prompt_tokens: 10,
        completion_tokens: 4,
        cost: 0.001,
        client_ttfb_ms_p50: 60,
      },
      {
        user: 'bob',
        model: 'gpt-4o',
        requests: 1,
        prompt_tokens: 100,
        completion_tokens: 4,
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
    assert.equal((await call('PUT', '/api/admin/keys/x')).headers.get('allow'), 'DELETE');

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
