/**
 * A sign-in lock that volume cannot clear (issue #11, item 6), through `POST /api/login`.
 *
 * The measured attack on the old throttle: lock the victim's account with 5 wrong passwords,
 * then send 100 000 sign-ins with distinct user names. The old throttle kept every subject in
 * one map and emptied it whole past 100 000 entries, the victim's lock with it: the right
 * password got in again within seconds. Here the lock is set and tested through HTTP; the bulk
 * of the flood drives the running instance's own throttle (found with a spy that calls through),
 * since 100 000 scrypt hashes through HTTP would take an hour on this machine.
 *
 * With Redis, two instances sharing one Redis and one PostgreSQL database enforce one lock, and
 * an unreachable Redis makes sign-in answer 503, never sign in unthrottled.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Accounts, MemoryLoginThrottle } from '../src/accounts/index.ts';
import { NO_LIMITS } from '../src/store/index.ts';
import { browserClient, type BrowserClient } from './support/browser-client.ts';
import { freePort } from './support/ports.ts';
import { type TestDatabase, testDatabase } from './support/postgres.ts';
import { REDIS_URL, type TestKeyspace, testKeyspace } from './support/redis.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';

const PASSWORD = 'correct horse battery staple';
const WRONG = 'not the password at all';

async function addUser(sluice: TestSluice, username: string): Promise<void> {
  const accounts = new Accounts(sluice.running.store, { key: NO_LIMITS, user: NO_LIMITS });
  await accounts.addUser({ username, password: PASSWORD });
}

/** A browser that has fetched its CSRF token, signing in from `ip` (via a trusted proxy). */
async function browserAt(sluice: TestSluice, ip: string) {
  const browser = browserClient(sluice.url);
  await browser.call('GET', '/api/session');
  return {
    browser,
    login: (username: string, password: string) =>
      browser.call(
        'POST',
        '/api/login',
        { username, password },
        {
          headers: { 'x-forwarded-for': ip },
        },
      ),
  };
}

type Login = Awaited<ReturnType<BrowserClient['call']>>;

const errorOf = (response: Login) => (response.body as { error?: { code?: string } }).error;

describe('a sign-in lock under a flood of made-up names (memory)', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await startTestSluice({ SLUICE_TRUSTED_PROXIES: '127.0.0.1' });
    await addUser(sluice, 'victim');
  });
  after(() => sluice.stop());

  it(
    'the right password is still refused after 100 000 failed sign-ins at other names',
    {
      timeout: 120_000,
    },
    async (t) => {
      const spy = t.mock.method(MemoryLoginThrottle.prototype, 'check');
      const attacker = await browserAt(sluice, '198.51.100.66');
      const statuses = async (username: string) => {
        const seen: number[] = [];
        for (let i = 0; i < 6; i++) seen.push((await attacker.login(username, WRONG)).status);
        return seen;
      };
      // A made-up name locks exactly as the account does: the 429s tell nobody which one exists.
      assert.deepEqual(await statuses('victim'), [401, 401, 401, 401, 401, 429]);
      assert.deepEqual(await statuses('ghost'), [401, 401, 401, 401, 401, 429]);

      const throttle = spy.mock.calls[0]?.this;
      assert.ok(throttle instanceof MemoryLoginThrottle, 'the running Sluice throttles in memory');
      spy.mock.restore(); // found it: the flood need not be recorded
      for (let i = 0; i < 100_000; i++) {
        const ip = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
        await throttle.check(`flood-${i}`, ip).catch((error: unknown) => {
          assert.fail(`flood attempt ${i} was refused: ${String(error)}`);
        });
      }
      // The flood went into the same throttle, and memory stayed bounded.
      assert.deepEqual(throttle.sizes, { accounts: 1, unknownNames: 50_000, addresses: 50_000 });

      const owner = await browserAt(sluice, '203.0.113.10');
      const refused = await owner.login('victim', PASSWORD);
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
      assert.equal(errorOf(refused)?.code, 'too_many_sign_in_attempts');
      assert.ok(Number(refused.headers.get('retry-after')) > 800);
      assert.equal((await owner.login('ghost', PASSWORD)).status, 429);
    },
  );

  it('parallel wrong passwords: exactly 5 are tried, the rest refused', async () => {
    await addUser(sluice, 'parallel');
    const guesses = await Promise.all(
      Array.from({ length: 12 }, async (_, i) =>
        (await browserAt(sluice, `198.51.100.${100 + i}`)).login('parallel', `${WRONG} ${i}`),
      ),
    );
    const statuses = guesses.map((g) => g.status).sort();
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
  });
});

describe('one lock across instances sharing Redis and PostgreSQL', () => {
  let database: TestDatabase;
  let keyspace: TestKeyspace;
  let a: TestSluice;
  let b: TestSluice;
  before(async () => {
    database = await testDatabase();
    keyspace = testKeyspace();
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      SLUICE_REDIS_PREFIX: keyspace.prefix,
      SLUICE_TRUSTED_PROXIES: '127.0.0.1',
    };
    a = await startTestSluice(env);
    b = await startTestSluice(env);
    await addUser(a, 'shared');
    await addUser(a, 'bystander');
  });
  after(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await Promise.all([database.drop(), keyspace.drop()]);
  });

  it('failures on instance A lock the account on instance B', async () => {
    const onA = await browserAt(a, '198.51.100.1');
    const onB = await browserAt(b, '198.51.100.2');
    for (let i = 0; i < 3; i++) assert.equal((await onA.login('shared', WRONG)).status, 401);
    for (let i = 0; i < 2; i++) assert.equal((await onB.login('shared', WRONG)).status, 401);
    const owner = await browserAt(b, '203.0.113.20');
    const refused = await owner.login('shared', PASSWORD);
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(errorOf(refused)?.code, 'too_many_sign_in_attempts');
    assert.equal(
      (await (await browserAt(a, '203.0.113.21')).login('shared', PASSWORD)).status,
      429,
    );
    assert.equal((await owner.login('bystander', PASSWORD)).status, 200);
  });
});

describe('Redis unreachable', () => {
  let sluice: TestSluice;
  before(async () => {
    sluice = await startTestSluice({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    await addUser(sluice, 'ada');
  });
  after(() => sluice.stop());

  it('sign-in answers 503 with Retry-After, never signs in unthrottled', async () => {
    const response = await (await browserAt(sluice, '198.51.100.1')).login('ada', PASSWORD);
    assert.equal(response.status, 503, JSON.stringify(response.body));
    assert.equal(errorOf(response)?.code, 'limits_unavailable');
    assert.ok(Number(response.headers.get('retry-after')) > 0);
  });
});
