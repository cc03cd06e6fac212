/**
 * One suite, run against both backends: MemoryCounters, and RedisCounters on the Redis at
 * 127.0.0.1:6379 (a missing Redis fails these tests, it does not skip them). Time moves only
 * through the `now` given to admit and the clock given to the counters, never by sleeping.
 * Every Redis key carries a per-run prefix and is deleted in after().
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { createClient } from '@redis/client';
import { NO_LIMITS, type Limits } from '../../store/types.ts';
import { CountersUnavailableError } from '../../errors/index.ts';
import { MemoryCounters } from './memory.ts';
import type { CountersOptions } from './options.ts';
import { RedisCounters } from './redis.ts';
import { CountersHost, RemoteCounters } from './remote.ts';
import { refusalMessage } from './refusal-message.ts';
import {
  NO_RESERVE,
  type Admission,
  type Counters,
  type Lease,
  type Refusal,
  type Reserve,
  type Subject,
} from './types.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const KEY_PREFIX = `sluice-test:${randomUUID()}:`;

/** 2026-11-20 12:00 UTC: the month's budget resets on 2026-12-01. */
const T0 = Date.UTC(2026, 10, 20, 12);
const MONTH_END = Date.UTC(2026, 11, 1);

type TestCounters = Counters & { renewLeases(): Promise<void> };

interface Backend {
  readonly name: string;
  /** Whether two instances share their counters, as two Sluice processes on one Redis do. */
  readonly shared: boolean;
  create(options: CountersOptions): TestCounters;
}

/**
 * `--workers`: one MemoryCounters in a primary, each worker's RemoteCounters asking it, every
 * call and answer through JSON as over the IPC channel. One host per setup (its options).
 */
const hosts = new WeakMap<CountersOptions, { memory: MemoryCounters; host: CountersHost }>();
let owners = 0;
function workerCounters(options: CountersOptions): TestCounters {
  let held = hosts.get(options);
  if (held === undefined) {
    const memory = new MemoryCounters(options);
    held = { memory, host: new CountersHost(memory) };
    hosts.set(options, held);
  }
  const { memory, host } = held;
  const owner = `worker-${++owners}`;
  const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;
  const remote = new RemoteCounters(async (call) =>
    wire(await host.serve(owner, wire(call) as typeof call)),
  );
  return {
    admit: (subjects, requestId, now, reserve) => remote.admit(subjects, requestId, now, reserve),
    renewLeases: () => memory.renewLeases(),
    close: () => memory.close(),
  };
}

const backends: readonly Backend[] = [
  { name: 'memory', shared: false, create: (options) => new MemoryCounters(options) },
  {
    name: 'redis',
    shared: true,
    create: (options) => new RedisCounters({ ...options, url: REDIS_URL, keyPrefix: KEY_PREFIX }),
  },
  { name: 'workers', shared: true, create: workerCounters },
];

interface Spent {
  tokens: number;
  cost: number;
}

interface Setup {
  readonly counters: TestCounters;
  readonly clock: { now: number };
  /** Every call to budgetSource, as [subject id, period start]. */
  readonly sourceCalls: [string, number][];
  /** What budgetSource answers, by subject id. */
  readonly spent: Map<string, Spent>;
  readonly logs: string[];
  /** Another instance on the same counters (Redis), or the same one (memory). */
  readonly another: () => TestCounters;
}

function setup(backend: Backend, t: TestContext, leaseMs = 60_000): Setup {
  const clock = { now: T0 };
  const sourceCalls: [string, number][] = [];
  const spent = new Map<string, Spent>();
  const logs: string[] = [];
  const options: CountersOptions = {
    budgetSource: (subject, periodStart) => {
      sourceCalls.push([subject.id, periodStart]);
      return Promise.resolve(spent.get(subject.id) ?? { tokens: 0, cost: 0 });
    },
    leaseMs,
    clock: () => clock.now,
    log: (msg) => logs.push(msg),
  };
  const open = (): TestCounters => {
    const counters = backend.create(options);
    t.after(() => counters.close());
    return counters;
  };
  const counters = open();
  return {
    counters,
    clock,
    sourceCalls,
    spent,
    logs,
    another: () => (backend.shared ? open() : counters),
  };
}

function subject(kind: Subject['kind'], limits: Partial<Limits>): Subject {
  return { kind, id: `${kind}-${randomUUID().slice(0, 8)}`, limits: { ...NO_LIMITS, ...limits } };
}

function leaseOf(admission: Admission): Lease {
  if (!admission.ok) assert.fail(`refused: ${JSON.stringify(admission.refusal)}`);
  return admission.lease;
}

function refusalOf(admission: Admission): Refusal {
  if (admission.ok) assert.fail('admitted, expected a refusal');
  return admission.refusal;
}

async function admitMany(
  counters: readonly Counters[],
  subjects: readonly Subject[],
  count: number,
  now: number,
  reserve?: Reserve,
): Promise<Admission[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      counters[i % counters.length]!.admit(subjects, randomUUID(), now, reserve),
    ),
  );
}

const admittedCount = (admissions: readonly Admission[]): number =>
  admissions.filter((a) => a.ok).length;

let redis: ReturnType<typeof createClient> | undefined;

before(async () => {
  // No retries: if Redis is not there, this hook fails and so does every test after it.
  redis = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false } });
  redis.on('error', () => undefined);
  await redis.connect();
});

after(async () => {
  if (redis === undefined) return;
  for (const key of await prefixedKeys()) await redis.del(key);
  await redis.close();
});

async function prefixedKeys(): Promise<string[]> {
  const client = redis;
  if (client === undefined) return [];
  const keys: string[] = [];
  let cursor = '0';
  do {
    const page = await client.scan(cursor, { MATCH: `${KEY_PREFIX}*`, COUNT: 1000 });
    cursor = page.cursor;
    keys.push(...page.keys.map(String));
  } while (cursor !== '0');
  return keys;
}

for (const backend of backends) {
  describe(`${backend.name} counters`, () => {
    it('admits subjects without limits, with nothing to end', async (t) => {
      const { counters } = setup(backend, t);
      const admissions = await admitMany([counters], [subject('key', {})], 50, T0);
      assert.equal(admittedCount(admissions), 50);
      await leaseOf(admissions[0]!).end({ tokens: 10, cost: 1 });
    });

    it('rpm: a burst of rpm, then one per 60000 / rpm ms', async (t) => {
      const { counters } = setup(backend, t);
      const key = subject('key', { rpm: 10 });
      for (let i = 0; i < 10; i++) leaseOf(await counters.admit([key], `r${i}`, T0));
      // TAT is now T0 + 60 s; the next request fits at TAT + 6 s - 60 s.
      const refusal = refusalOf(await counters.admit([key], 'r10', T0));
      assert.deepEqual(refusal, { kind: 'rate', subject: key, limit: 'rpm', retryAfterSeconds: 6 });
      const later = refusalOf(await counters.admit([key], 'r11', T0 + 1_500));
      assert.equal(later.kind === 'rate' && later.retryAfterSeconds, 5);
      const almost = refusalOf(await counters.admit([key], 'r12', T0 + 5_999));
      assert.equal(almost.retryAfterSeconds, 1);
      leaseOf(await counters.admit([key], 'r13', T0 + 6_000));
      refusalOf(await counters.admit([key], 'r14', T0 + 6_000));
      leaseOf(await counters.admit([key], 'r15', T0 + 12_000));
      // A minute of quiet refills the whole burst.
      const rested = await admitMany([counters], [key], 11, T0 + 72_000);
      assert.equal(admittedCount(rested), 10);
    });

    it('rpm: a burst is exact when 60000 / rpm is not a whole number', async (t) => {
      const { counters } = setup(backend, t);
      const key = subject('key', { rpm: 37 });
      let admitted = 0;
      for (let i = 0; i < 40; i++) if ((await counters.admit([key], `r${i}`, T0)).ok) admitted++;
      assert.equal(admitted, 37);
      // 60000 / 37 = 1621.6 ms per request.
      refusalOf(await counters.admit([key], 'early', T0 + 1_621));
      leaseOf(await counters.admit([key], 'on-time', T0 + 1_622));
    });

    it('tpm: a big request leaves a debt that later requests wait out', async (t) => {
      const { counters, clock } = setup(backend, t);
      const key = subject('key', { tpm: 1_000 });
      const first = leaseOf(await counters.admit([key], 'big', T0));
      // Tokens are only known at the end, so requests pass until one has ended.
      const second = leaseOf(await counters.admit([key], 'small', T0));
      await first.end({ tokens: 3_000, cost: null });
      // TAT = T0 + 180 s; admission needs TAT - now < 60 s.
      const refusal = refusalOf(await counters.admit([key], 'waits', T0));
      assert.deepEqual(refusal, {
        kind: 'rate',
        subject: key,
        limit: 'tpm',
        retryAfterSeconds: 121,
      });
      const lastMs = refusalOf(await counters.admit([key], 'waits', T0 + 120_000));
      assert.equal(lastMs.retryAfterSeconds, 1);
      leaseOf(await counters.admit([key], 'repaid', T0 + 120_001));
      // The second request ends later and adds its tokens on top of the debt.
      clock.now = T0 + 120_001;
      await second.end({ tokens: 500, cost: null });
      const again = refusalOf(await counters.admit([key], 'again', T0 + 120_001));
      assert.equal(again.retryAfterSeconds, 30);
      leaseOf(await counters.admit([key], 'recovered', T0 + 150_001));
    });

    it('streams: at most maxStreams at once, freed when a lease ends, once', async (t) => {
      const { counters } = setup(backend, t);
      const key = subject('key', { maxStreams: 2 });
      const a = leaseOf(await counters.admit([key], 'a', T0));
      leaseOf(await counters.admit([key], 'b', T0));
      const refusal = refusalOf(await counters.admit([key], 'c', T0));
      assert.deepEqual(refusal, { kind: 'streams', subject: key, retryAfterSeconds: 1 });
      await a.end({ tokens: 0, cost: null });
      leaseOf(await counters.admit([key], 'c', T0));
      // Ending twice frees one slot, not two.
      await a.end({ tokens: 0, cost: null });
      refusalOf(await counters.admit([key], 'd', T0));
    });

    it('streams: a lease nobody renews expires after leaseMs', async (t) => {
      const { counters } = setup(backend, t, 1_000);
      const key = subject('key', { maxStreams: 1 });
      leaseOf(await counters.admit([key], 'crashed', T0));
      refusalOf(await counters.admit([key], 'b', T0 + 999));
      leaseOf(await counters.admit([key], 'b', T0 + 1_000));
    });

    it('streams: a renewed lease keeps its slot', async (t) => {
      const { counters, clock } = setup(backend, t, 1_000);
      const key = subject('key', { maxStreams: 1 });
      const long = leaseOf(await counters.admit([key], 'long', T0));
      clock.now = T0 + 800;
      await counters.renewLeases();
      refusalOf(await counters.admit([key], 'b', T0 + 1_500));
      leaseOf(await counters.admit([key], 'b', T0 + 1_800));
      // An ended lease is not brought back by a renewal.
      const c = leaseOf(await counters.admit([key], 'c', T0 + 10_000));
      await c.end({ tokens: 0, cost: null });
      clock.now = T0 + 10_000;
      await counters.renewLeases();
      leaseOf(await counters.admit([key], 'd', T0 + 10_000));
      await long.end({ tokens: 0, cost: null });
    });

    it('budget: refuses once spent, resets with the period, reads the store once a period', async (t) => {
      const { counters, clock, sourceCalls, spent } = setup(backend, t);
      const key = subject('key', { budgetTokens: 100_000, budgetPeriod: 'month' });
      spent.set(key.id, { tokens: 60_000, cost: 0 });
      const lease = leaseOf(await counters.admit([key], 'a', T0));
      assert.deepEqual(sourceCalls, [[key.id, Date.UTC(2026, 10, 1)]]);
      await lease.end({ tokens: 39_999, cost: null });
      leaseOf(await counters.admit([key], 'b', T0 + 1_000));
      const last = leaseOf(await counters.admit([key], 'c', T0 + 2_000));
      await last.end({ tokens: 1, cost: null });
      const refusal = refusalOf(await counters.admit([key], 'd', T0 + 3_000));
      assert.deepEqual(refusal, {
        kind: 'budget',
        subject: key,
        limit: 'tokens',
        retryAfterSeconds: (MONTH_END - T0 - 3_000) / 1000,
      });
      assert.deepEqual(refusalMessage(refusal, `key ${key.id}`, T0 + 3_000), {
        code: 'insufficient_quota',
        message: `You exceeded your current quota: the monthly token budget of 100000 for key ${key.id} is used up; it resets on 2026-12-01.`,
      });
      assert.equal(sourceCalls.length, 1);
      // December: a new counter, read afresh from the store.
      spent.set(key.id, { tokens: 0, cost: 0 });
      clock.now = MONTH_END;
      leaseOf(await counters.admit([key], 'e', MONTH_END));
      assert.deepEqual(sourceCalls.at(-1), [key.id, MONTH_END]);
      assert.equal(sourceCalls.length, 2);
    });

    it('budget: cost, daily and total periods', async (t) => {
      const { counters, clock, spent } = setup(backend, t);
      const user = subject('user', { budgetCost: 5, budgetPeriod: 'day' });
      spent.set(user.id, { tokens: 0, cost: 4.5 });
      const lease = leaseOf(await counters.admit([user], 'a', T0));
      await lease.end({ tokens: 10, cost: 0.5 });
      const refusal = refusalOf(await counters.admit([user], 'b', T0));
      assert.equal(refusal.kind === 'budget' && refusal.limit, 'cost');
      assert.equal(refusal.retryAfterSeconds, 12 * 3600);
      clock.now = T0 + 12 * 3600_000;
      spent.set(user.id, { tokens: 0, cost: 0 });
      leaseOf(await counters.admit([user], 'c', clock.now));

      const ever = subject('key', { budgetTokens: 10, budgetPeriod: 'total' });
      spent.set(ever.id, { tokens: 10, cost: 0 });
      const never = refusalOf(await counters.admit([ever], 'd', T0));
      assert.equal(never.retryAfterSeconds, 86_400);
      assert.match(
        refusalMessage(never, `key ${ever.id}`, T0).message,
        /total token budget of 10 .* it does not reset\.$/,
      );
    });

    it('budget: concurrent first admissions read the store once', async (t) => {
      const { counters, sourceCalls } = setup(backend, t);
      const key = subject('key', { budgetTokens: 100 });
      const admissions = await admitMany([counters], [key], 20, T0);
      assert.equal(admittedCount(admissions), 20);
      assert.equal(sourceCalls.length, 1);
    });

    it('budget: two instances initialising at once do not count the store twice', async (t) => {
      const { counters, another, spent, sourceCalls } = setup(backend, t);
      const key = subject('key', { budgetTokens: 100 });
      spent.set(key.id, { tokens: 50, cost: 0 });
      const admissions = await admitMany([counters, another()], [key], 20, T0);
      assert.equal(admittedCount(admissions), 20);
      assert.ok(sourceCalls.length <= 2);
      await leaseOf(admissions[0]!).end({ tokens: 25, cost: null });
      leaseOf(await counters.admit([key], 'still-fits', T0));
      await leaseOf(admissions[1]!).end({ tokens: 25, cost: null });
      refusalOf(await counters.admit([key], 'spent', T0));
    });

    it('budget: requests in flight hold their reserve until they end', async (t) => {
      const { counters, another, spent } = setup(backend, t);
      const key = subject('key', { budgetCost: 1, budgetPeriod: 'month' });
      spent.set(key.id, { tokens: 0, cost: 0.5 });
      const reserve = { tokens: 1_000, cost: 0.25 };
      const a = leaseOf(await counters.admit([key], 'a', T0, reserve));
      leaseOf(await another().admit([key], 'b', T0, reserve));
      // Spent 0.5 and held 0.5: nothing is left to start on, though nothing more is spent.
      const refusal = refusalOf(await another().admit([key], 'c', T0, reserve));
      assert.deepEqual(refusal, {
        kind: 'held',
        subject: key,
        limit: 'cost',
        retryAfterSeconds: 1,
      });
      // `a` ends having used less than it held: what it did not use is free again.
      await a.end({ tokens: 500, cost: 0.125 });
      leaseOf(await counters.admit([key], 'd', T0, reserve));
      refusalOf(await counters.admit([key], 'e', T0, reserve));
    });

    it('budget: a burst starts only as many requests as the budget holds', async (t) => {
      const { counters, another, spent } = setup(backend, t);
      const key = subject('key', { budgetTokens: 10_000 });
      const user = subject('user', { budgetCost: 100 });
      spent.set(key.id, { tokens: 6_000, cost: 0 });
      const admissions = await admitMany([counters, another()], [key, user], 40, T0, {
        tokens: 1_000,
        cost: 1,
      });
      // 6000 spent: admitted while 6000 + 1000 × in flight < 10 000.
      assert.equal(admittedCount(admissions), 4);
      for (const admission of admissions) {
        if (admission.ok) continue;
        assert.equal(admission.refusal.kind, 'held');
        assert.equal(admission.refusal.subject.id, key.id);
      }
      // The user's budget held only what the admitted four reserved.
      const userOnly = await admitMany([counters], [user], 200, T0, { tokens: 0, cost: 1 });
      assert.equal(admittedCount(userOnly), 96);
    });

    it('budget: one request alone is admitted whatever it reserves', async (t) => {
      const { counters, spent } = setup(backend, t);
      const key = subject('key', { budgetTokens: 10_000 });
      spent.set(key.id, { tokens: 9_999, cost: 0 });
      const lease = leaseOf(await counters.admit([key], 'a', T0, { tokens: 50_000, cost: 0 }));
      refusalOf(await counters.admit([key], 'b', T0, { tokens: 1, cost: 0 }));
      await lease.end({ tokens: 0, cost: null });
      leaseOf(await counters.admit([key], 'c', T0, { tokens: 50_000, cost: 0 }));
    });

    // One process's counters die with it; in Redis another instance's hold must run out.
    if (backend.name === 'redis') {
      it('budget: what a crashed instance held runs out after leaseMs; a renewed one stays', async (t) => {
        const { counters, another, clock } = setup(backend, t, 1_000);
        const key = subject('key', { budgetTokens: 1_000 });
        const renewed = subject('key', { budgetTokens: 1_000 });
        const crashed = another();
        leaseOf(await crashed.admit([key], 'crashed', T0, { tokens: 1_000, cost: 0 }));
        await crashed.close();
        leaseOf(await counters.admit([renewed], 'long', T0, { tokens: 1_000, cost: 0 }));
        clock.now = T0 + 700;
        await counters.renewLeases();
        refusalOf(await counters.admit([key], 'b', T0 + 999));
        leaseOf(await counters.admit([key], 'b', T0 + 1_000));
        refusalOf(await counters.admit([renewed], 'c', T0 + 1_500));
      });

      it('budget: the sum of the holds is kept as they come and go, and added up anew if lost', async (t) => {
        const { counters } = setup(backend, t);
        const key = subject('key', { budgetCost: 1 });
        const sum = `${KEY_PREFIX}held-sum:key:${key.id}`;
        const reserve = { tokens: 10, cost: 0.25 };
        const leases: Lease[] = [];
        for (let i = 0; i < 4; i++) {
          leases.push(leaseOf(await counters.admit([key], `r${i}`, T0, reserve)));
        }
        assert.deepEqual(await redis?.hGetAll(sum), { t: '40', c: '1' });
        refusalOf(await counters.admit([key], 'full', T0, reserve));
        await redis?.del(sum); // as if it expired while the four ran on
        refusalOf(await counters.admit([key], 'still-full', T0, reserve));
        await leases.pop()?.end({ tokens: 0, cost: null });
        assert.deepEqual(await redis?.hGetAll(sum), { t: '30', c: '0.75' });
        leases.push(leaseOf(await counters.admit([key], 'fits', T0, reserve)));
        for (const lease of leases) await lease.end({ tokens: 0, cost: null });
        assert.equal(await redis?.exists(sum), 0, 'no holds, no sum');
      });
    }

    it('key and user together: a refusal by one takes nothing from the other', async (t) => {
      const { counters } = setup(backend, t);
      const key = subject('key', { rpm: 5, maxStreams: 3, budgetTokens: 1_000 });
      const user = subject('user', { rpm: 1 });
      leaseOf(await counters.admit([key, user], 'first', T0));
      for (let i = 0; i < 3; i++) {
        const refusal = refusalOf(await counters.admit([key, user], `refused${i}`, T0));
        assert.equal(refusal.subject, user);
      }
      // The key lost one request and one stream slot to the first admission only.
      const alone = await admitMany([counters], [key], 10, T0);
      assert.equal(admittedCount(alone), 2);
      const streams = refusalOf(alone.find((a) => !a.ok)!);
      assert.equal(streams.kind, 'streams');
    });

    it('ignores null limits', async (t) => {
      const { counters, sourceCalls } = setup(backend, t);
      const key = subject('key', { rpm: 1_000 });
      const leases = await admitMany([counters], [key], 200, T0);
      assert.equal(admittedCount(leases), 200);
      // No tpm: tokens charge nothing. No budget: the store is never asked.
      for (const admission of leases) await leaseOf(admission).end({ tokens: 1e9, cost: 1e9 });
      leaseOf(await counters.admit([key], 'after', T0 + 60_000));
      assert.equal(sourceCalls.length, 0);
    });

    it('exact under concurrency: rpm 37 over 200 racing admissions', async (t) => {
      const { counters, another } = setup(backend, t);
      const key = subject('key', { rpm: 37 });
      const admissions = await admitMany([counters, another()], [key], 200, T0);
      assert.equal(admittedCount(admissions), 37);
      // Past a few hundred rpm, rounding 60000 / rpm to whole ms would let extra requests in.
      const busy = subject('key', { rpm: 997 });
      const many = await admitMany([counters, another()], [busy], 1_100, T0);
      assert.equal(admittedCount(many), 997);
    });

    it('exact under concurrency: maxStreams 5 over 100 racing admissions, twice', async (t) => {
      const { counters, another } = setup(backend, t);
      const instances = [counters, another()];
      const key = subject('key', { maxStreams: 5 });
      const user = subject('user', { maxStreams: 50 });
      const first = await admitMany(instances, [key, user], 100, T0);
      assert.equal(admittedCount(first), 5);
      await Promise.all(
        first.filter((a) => a.ok).map((a) => a.lease.end({ tokens: 1, cost: null })),
      );
      const second = await admitMany(instances, [key, user], 100, T0 + 1);
      assert.equal(admittedCount(second), 5);
    });
  });
}

describe('redis counters only', () => {
  it('touches no key for null limits, and every key it makes expires', async (t) => {
    const { counters, clock } = setup(backends[1]!, t);
    const key = subject('key', { rpm: 10, tpm: null, maxStreams: null });
    const lease = leaseOf(await counters.admit([key], 'a', T0));
    clock.now = T0;
    await lease.end({ tokens: 100, cost: 1 });
    const mine = (await prefixedKeys()).filter((k) => k.endsWith(`:${key.id}`));
    assert.deepEqual(mine, [`${KEY_PREFIX}rpm:key:${key.id}`]);
    // -1 is a key kept for ever; -2 one gone between the scan and the question (it expired).
    for (const k of await prefixedKeys()) {
      const ttl = await redis!.pTTL(k);
      assert.ok(ttl > 0 || ttl === -2, `${k} has no TTL (${ttl})`);
    }
  });

  it('needs no round trip when no subject has a limit', async () => {
    const counters = new RedisCounters({
      url: 'redis://127.0.0.1:1',
      budgetSource: () => Promise.resolve({ tokens: 0, cost: 0 }),
    });
    try {
      leaseOf(await counters.admit([subject('key', {})], 'a', T0));
    } finally {
      await counters.close();
    }
  });

  it('throws, not admits, when Redis is unreachable', async () => {
    const logs: string[] = [];
    const counters = new RedisCounters({
      url: 'redis://127.0.0.1:1',
      budgetSource: () => Promise.resolve({ tokens: 0, cost: 0 }),
      log: (msg) => logs.push(msg),
    });
    try {
      await assert.rejects(
        counters.admit([subject('key', { rpm: 1 })], 'a', T0),
        CountersUnavailableError,
      );
      assert.deepEqual(logs, ['limit counters: Redis unreachable']);
    } finally {
      await counters.close();
    }
  });

  it('throws on a lost connection; a lease ending then logs instead of throwing', async (t) => {
    const { counters, logs } = setup(backends[1]!, t);
    const key = subject('key', { maxStreams: 1 });
    const lease = leaseOf(await counters.admit([key], 'a', T0));
    await counters.close();
    await assert.rejects(counters.admit([key], 'b', T0), CountersUnavailableError);
    await lease.end({ tokens: 1, cost: null });
    assert.deepEqual(logs, ['limit counters: lease end not recorded']);
  });
});

describe('workers counters only', () => {
  it('asks the primary nothing when no subject has a limit', async () => {
    let calls = 0;
    const remote = new RemoteCounters(() => {
      calls++;
      return Promise.reject(new Error('no primary'));
    });
    leaseOf(await remote.admit([subject('key', {}), subject('user', {})], 'a', T0));
    assert.equal(calls, 0);
  });

  it('a worker that dies gives its stream slots and holds back at once; another worker’s stay', async (t) => {
    const memory = new MemoryCounters({
      budgetSource: () => Promise.resolve({ tokens: 0, cost: 0 }),
    });
    t.after(() => memory.close());
    const host = new CountersHost(memory);
    const key = subject('key', { maxStreams: 2 });
    const admit = async (owner: string, id: string) =>
      (
        await host.serve(owner, {
          op: 'admit',
          subjects: [key],
          requestId: id,
          now: T0,
          reserve: NO_RESERVE,
        })
      )?.ok;
    const budget = subject('user', { budgetTokens: 100 });
    const reserve = { tokens: 100, cost: 0 };
    const hold = async (owner: string, id: string) =>
      (
        await host.serve(owner, {
          op: 'admit',
          subjects: [budget],
          requestId: id,
          now: T0,
          reserve,
        })
      )?.ok;
    assert.equal(await hold('1', 'h1'), true);
    assert.equal(await hold('2', 'h2'), false, 'held by the first');
    await host.release('1');
    assert.equal(await hold('2', 'h2'), true, 'the dead worker’s hold is gone');
    assert.equal(await admit('1', 'a'), true);
    assert.equal(await admit('2', 'b'), true);
    assert.equal(await admit('2', 'c'), false, 'two streams at once');
    assert.equal(await host.release('1'), 1);
    assert.equal(await admit('2', 'c'), true, 'the dead worker’s slot is free');
    assert.equal(await admit('2', 'd'), false, 'the living worker’s are not');
    assert.equal(host.live, 3, 'b, c and the hold h2');
  });

  it('ends only the caller’s own leases', async (t) => {
    const memory = new MemoryCounters({
      budgetSource: () => Promise.resolve({ tokens: 0, cost: 0 }),
    });
    t.after(() => memory.close());
    const host = new CountersHost(memory);
    const key = subject('key', { maxStreams: 1 });
    const answer = await host.serve('1', {
      op: 'admit',
      subjects: [key],
      requestId: 'a',
      now: T0,
      reserve: NO_RESERVE,
    });
    assert.ok(answer?.ok === true);
    await host.serve('2', { op: 'end', lease: answer.lease, used: { tokens: 0, cost: null } });
    assert.equal(host.live, 1);
  });
});

describe('refusalMessage', () => {
  const key: Subject = {
    kind: 'key',
    id: 'sk-sluice-ab12',
    limits: { ...NO_LIMITS, rpm: 10, tpm: 5_000, maxStreams: 2 },
  };
  const who = 'key sk-sluice-ab12';

  it('speaks OpenAI codes', () => {
    assert.deepEqual(
      refusalMessage({ kind: 'rate', subject: key, limit: 'rpm', retryAfterSeconds: 3 }, who, T0),
      {
        code: 'rate_limit_exceeded',
        message: 'Rate limit reached for key sk-sluice-ab12: 10 requests per minute. Retry in 3 s.',
      },
    );
    assert.equal(
      refusalMessage({ kind: 'rate', subject: key, limit: 'tpm', retryAfterSeconds: 9 }, who, T0)
        .message,
      'Rate limit reached for key sk-sluice-ab12: 5000 tokens per minute. Retry in 9 s.',
    );
    assert.deepEqual(
      refusalMessage({ kind: 'streams', subject: key, retryAfterSeconds: 1 }, who, T0),
      {
        code: 'too_many_streams',
        message:
          'Concurrency limit reached for key sk-sluice-ab12: 2 requests at once. Retry in 1 s.',
      },
    );
    const user: Subject = {
      kind: 'user',
      id: 'ada',
      limits: { ...NO_LIMITS, budgetCost: 25, budgetPeriod: 'day' },
    };
    assert.deepEqual(
      refusalMessage(
        { kind: 'budget', subject: user, limit: 'cost', retryAfterSeconds: 60 },
        'user "ada"',
        T0,
      ),
      {
        code: 'insufficient_quota',
        message:
          'You exceeded your current quota: the daily cost budget of $25 for user "ada" is used up; it resets on 2026-11-21.',
      },
    );
    assert.deepEqual(
      refusalMessage(
        { kind: 'held', subject: user, limit: 'cost', retryAfterSeconds: 1 },
        'user "ada"',
        T0,
      ),
      {
        code: 'budget_held',
        message:
          'What is left of the daily cost budget of $25 for user "ada" is held by its requests in flight. Retry when one of them ends.',
      },
    );
  });
});
