/**
 * The sign-in throttle (issue #11, item 6). The old one kept every subject in one map and
 * emptied the whole map past 100 000 entries: an attacker locked an account with 5 wrong
 * passwords, sent 100 000 guesses at made-up names from made-up addresses, and the map was
 * cleared with the account's lock in it. Here that flood must leave the lock in force and memory
 * within its bounds; names that are no account must lock exactly as accounts do.
 *
 * One suite runs against both throttles: memory, and Redis on the machine's own (a missing
 * Redis fails these tests, it does not skip them), each test under a key prefix of its own.
 * Time moves only through the injected clock, never by sleeping.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { createClient } from '@redis/client';
import { CountersUnavailableError, TooManySignInAttemptsError } from '../errors/index.ts';
import { REDIS_URL, testKeyspace } from '../../test/support/redis.ts';
import type { LoginThrottle, SignInAttempt } from './login-throttle.ts';
import { SIGN_IN_LIMITS } from './sign-in-limits.ts';
import { MemoryLoginThrottle } from './sign-in-memory.ts';
import { RedisLoginThrottle } from './sign-in-redis.ts';
import { addressSubject } from './sign-in-subjects.ts';

const T0 = Date.UTC(2026, 10, 20, 12);
const WINDOW = SIGN_IN_LIMITS.windowMs;
/** The accounts that exist, by lower-cased name, as `Accounts.idOf` would answer. */
const USERS = new Map([
  ['ada', 'usr_ada'],
  ['bob', 'usr_bob'],
]);
const userId = (name: string) => Promise.resolve(USERS.get(name.toLowerCase()));

interface Setup {
  readonly throttle: LoginThrottle;
  readonly clock: { now: number };
  /** Another instance: on the same Redis, or (memory) a throttle of its own. */
  readonly another: () => LoginThrottle;
}

interface Backend {
  readonly name: string;
  setup(t: TestContext): Setup;
}

const memory: Backend = {
  name: 'memory',
  setup() {
    const clock = { now: T0 };
    const open = () => new MemoryLoginThrottle({ userId, now: () => clock.now });
    return { throttle: open(), clock, another: open };
  },
};

const redis: Backend = {
  name: 'redis',
  setup(t) {
    const clock = { now: T0 };
    const keyspace = testKeyspace();
    const open = () => {
      const throttle = new RedisLoginThrottle({
        url: REDIS_URL,
        keyPrefix: keyspace.prefix,
        log: () => undefined,
        now: () => clock.now,
      });
      t.after(() => throttle.close());
      return throttle;
    };
    t.after(() => keyspace.drop());
    return { throttle: open(), clock, another: open };
  },
};

/** What one attempt met: counted (with its attempt), or the 429's message and Retry-After. */
async function attempt(
  throttle: LoginThrottle,
  name: string,
  ip: string | null = '198.51.100.1',
): Promise<{ counted: SignInAttempt } | { refused: string; retryAfter: string | undefined }> {
  try {
    return { counted: await throttle.check(name, ip) };
  } catch (error) {
    if (!(error instanceof TooManySignInAttemptsError)) throw error;
    return { refused: error.message, retryAfter: error.headers?.['retry-after'] };
  }
}

/** Fails `times` attempts of `name`, asserting each was let through (and counted). */
async function fail(throttle: LoginThrottle, name: string, times: number, ip?: string | null) {
  for (let i = 0; i < times; i++) {
    const outcome = await attempt(throttle, name, ip);
    assert.ok('counted' in outcome, `attempt ${i + 1} on ${name}: ${JSON.stringify(outcome)}`);
  }
}

const refusal = (who: string, seconds: number) => ({
  refused: `Too many failed sign-ins for ${who}; try again in ${seconds} s.`,
  retryAfter: String(seconds),
});

for (const backend of [memory, redis]) {
  describe(`sign-in throttle (${backend.name})`, () => {
    it('locks an account at its 5th failure until the oldest leaves the window', async (t) => {
      const { throttle, clock } = backend.setup(t);
      for (let i = 0; i < 5; i++) {
        clock.now = T0 + i * 1_000;
        await fail(throttle, 'Ada', 1, `198.51.100.${i + 1}`);
      }
      clock.now = T0 + 10_000;
      // Another case, another address: it is the account that is locked.
      assert.deepEqual(
        await attempt(throttle, 'ADA', '203.0.113.9'),
        refusal('this account', (WINDOW - 10_000) / 1000),
      );
      clock.now = T0 + WINDOW - 1;
      assert.deepEqual(await attempt(throttle, 'ada'), refusal('this account', 1));
      clock.now = T0 + WINDOW; // the first failure has left the window: one try more
      await fail(throttle, 'ada', 1);
      assert.deepEqual(await attempt(throttle, 'ada'), refusal('this account', 1));
    });

    it('locks a name that is no account exactly as an account', async (t) => {
      const { throttle } = backend.setup(t);
      const outcomes = async (name: string, ip: string) => {
        const seen: unknown[] = [];
        for (let i = 0; i < 7; i++) {
          const outcome = await attempt(throttle, name, ip);
          seen.push('counted' in outcome ? 'counted' : outcome);
        }
        return seen;
      };
      const real = await outcomes('bob', '198.51.100.1');
      assert.deepEqual(real.slice(4), ['counted', refusal('this account', 900), real[5]]);
      assert.deepEqual(await outcomes('nobody', '198.51.100.2'), real);
    });

    it('a right password forgets the account’s failures', async (t) => {
      const { throttle } = backend.setup(t);
      await fail(throttle, 'ada', 4);
      const right = await attempt(throttle, 'ada');
      assert.ok('counted' in right);
      await right.counted.succeeded();
      await fail(throttle, 'ada', 5);
      assert.deepEqual(await attempt(throttle, 'ada'), refusal('this account', 900));
    });

    it('locks an address at 30 failures, an IPv6 one per /64, for every name', async (t) => {
      const { throttle } = backend.setup(t);
      for (let i = 0; i < 30; i++) {
        await fail(throttle, `guess-${i}`, 1, `2001:db8:1:2::${(i + 1).toString(16)}`);
      }
      assert.deepEqual(
        await attempt(throttle, 'ada', '2001:db8:1:2:ffff:ffff:ffff:ffff'),
        refusal('your address', 900),
      );
      await fail(throttle, 'ada', 1, '2001:db8:1:3::1'); // the next /64
      await fail(throttle, 'ada', 1, null); // no address known: only the account counts
    });

    it('a right password takes its own attempt back from the address', async (t) => {
      const { throttle } = backend.setup(t);
      for (let i = 0; i < 29; i++) await fail(throttle, `guess-${i}`, 1);
      const right = await attempt(throttle, 'ada');
      assert.ok('counted' in right);
      await right.counted.succeeded();
      await fail(throttle, 'guess-29', 1); // the 30th failure
      assert.deepEqual(await attempt(throttle, 'ada'), refusal('your address', 900));
    });

    it('parallel guesses: exactly 5 pass, the test and the count being one step', async (t) => {
      const { throttle } = backend.setup(t);
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, i) => attempt(throttle, 'ada', `198.51.100.${i}`)),
      );
      assert.equal(outcomes.filter((o) => 'counted' in o).length, 5);
      assert.equal(outcomes.filter((o) => 'refused' in o).length, 35);
    });
  });
}

describe('sign-in throttle in memory, under a flood', () => {
  it('a lock survives 100 000 failures at distinct names from distinct addresses', async () => {
    const clock = { now: T0 };
    const throttle = new MemoryLoginThrottle({ userId, now: () => clock.now });
    await fail(throttle, 'ada', 5, '198.51.100.7');
    await fail(throttle, 'ghost', 5, '198.51.100.8'); // no account: locked all the same
    for (let i = 0; i < 100_000; i++) {
      clock.now = T0 + Math.floor(i / 200); // 100 000 in 500 ms
      const ip =
        i % 2 === 0
          ? `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`
          : `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`;
      await fail(throttle, `flood-${i}`, 1, ip);
    }
    assert.deepEqual(await attempt(throttle, 'ada', '203.0.113.1'), refusal('this account', 900));
    assert.ok('refused' in (await attempt(throttle, 'ghost', '203.0.113.2')));
    assert.deepEqual(throttle.sizes, { accounts: 1, unknownNames: 50_000, addresses: 50_000 });
  });

  it('stays within capacity when every name it holds is locked; accounts keep their locks', async () => {
    const clock = { now: T0 };
    const throttle = new MemoryLoginThrottle({ userId, capacity: 100, now: () => clock.now });
    await fail(throttle, 'ada', 5);
    await fail(throttle, 'ghost', 5);
    for (let i = 0; i < 1_000; i++)
      await fail(throttle, `locked-${i}`, 5, `10.0.${i >> 8}.${i & 255}`);
    assert.deepEqual(throttle.sizes, { accounts: 1, unknownNames: 100, addresses: 100 });
    assert.deepEqual(await attempt(throttle, 'ada', '203.0.113.1'), refusal('this account', 900));
    // The documented price of bounded memory: with every slot locked, the oldest made-up name's
    // lock goes; an account's never does.
    assert.ok('counted' in (await attempt(throttle, 'ghost', '203.0.113.2')));
  });
});

describe('the address an attempt counts against', () => {
  it('is the IPv4 address, or the /64 of an IPv6 one in one spelling', () => {
    assert.equal(addressSubject('203.0.113.9'), '203.0.113.9');
    assert.equal(addressSubject('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(addressSubject('2001:DB8:0:0001:aaaa::1'), '2001:db8:0:1::/64');
    assert.equal(addressSubject('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressSubject('2001:0db8:0000:0001:0:0:0:1'), '2001:db8:0:1::/64');
    assert.equal(addressSubject('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressSubject('1:2:3:4:5:6:1.2.3.4'), '1:2:3:4::/64');
    assert.equal(addressSubject('::1'), '0:0:0:0::/64');
  });
});

describe('sign-in throttle in Redis', () => {
  it('keeps its keys under the prefix, each expiring a window after its last failure', async (t) => {
    const keyspace = testKeyspace();
    t.after(() => keyspace.drop());
    const throttle = new RedisLoginThrottle({
      url: REDIS_URL,
      keyPrefix: keyspace.prefix,
      log: () => undefined,
    });
    t.after(() => throttle.close());
    await fail(throttle, 'ada', 1, '2001:db8::7');
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    t.after(() => client.close());
    const keys = (await client.keys(`${keyspace.prefix}*`)).map(String).sort();
    assert.deepEqual(
      keys.map((k) => k.slice(keyspace.prefix.length).replace(/account:.*/, 'account:…')),
      ['sign-in:account:…', 'sign-in:address:2001:db8:0:0::/64'],
    );
    for (const key of keys) {
      const ttl = await client.pTTL(key);
      assert.ok(ttl > WINDOW - 60_000 && ttl <= WINDOW, `${key}: ${ttl}`);
    }
  });

  it('failures on one instance lock the account on another', async (t) => {
    const { throttle, another } = redis.setup(t);
    const other = another();
    await fail(throttle, 'ada', 3);
    await fail(other, 'ada', 2, '203.0.113.5');
    assert.deepEqual(await attempt(throttle, 'ada', '203.0.113.6'), refusal('this account', 900));
  });

  it('fails closed with a 503 when Redis was never reachable', async () => {
    const logs: string[] = [];
    const throttle = new RedisLoginThrottle({
      url: 'redis://127.0.0.1:1',
      keyPrefix: 'unused:',
      log: (message) => logs.push(message),
    });
    try {
      const refused = await throttle.check('ada', '198.51.100.1').then(
        () => assert.fail('admitted without Redis'),
        (error: unknown) => error,
      );
      assert.ok(refused instanceof CountersUnavailableError);
      assert.equal(refused.status, 503);
      assert.ok(Number(refused.headers?.['retry-after']) > 0);
      assert.deepEqual(logs, ['sign-in throttle: Redis unreachable']);
    } finally {
      await throttle.close();
    }
  });

  it('fails closed with a 503 when the connection to Redis is lost', async (t) => {
    const proxy = await tcpProxy(6379);
    t.after(() => proxy.close());
    const keyspace = testKeyspace();
    t.after(() => keyspace.drop());
    const throttle = new RedisLoginThrottle({
      url: `redis://127.0.0.1:${proxy.port}`,
      keyPrefix: keyspace.prefix,
      log: () => undefined,
    });
    t.after(() => throttle.close());
    await fail(throttle, 'ada', 1);
    await proxy.close();
    await assert.rejects(throttle.check('ada', '198.51.100.1'), CountersUnavailableError);
  });
});

/** A TCP relay to 127.0.0.1:`port` whose `close()` cuts every connection, as an outage does. */
async function tcpProxy(port: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  let closed: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closed ??= new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
