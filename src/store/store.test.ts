/**
 * One suite, run against both backends: SQLite in a fresh temp dir, and PostgreSQL at
 * 127.0.0.1:5432 (user postgres, trust auth) in a database created for the run. PostgreSQL
 * being unreachable fails the run: a backend that is never tested is a backend that is broken.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { connectStore, type StoreOptions } from './open.ts';
import { MIGRATIONS } from './schema.ts';
import {
  type Limits,
  NO_LIMITS,
  openStore,
  parseDatabaseUrl,
  type Store,
  type UsageRecord,
} from './index.ts';
import { ConflictError, SetupDoneError, StoreUnavailableError } from '../errors/index.ts';
import { usageRecord } from '../../test/support/usage-record.ts';

const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** The newest schema version. */
const LATEST = MIGRATIONS.length;

/** A fresh, empty database; `dispose` removes it. */
interface Fresh {
  readonly options: StoreOptions;
  dispose(): Promise<void>;
}

interface Backend {
  readonly name: 'sqlite' | 'postgres';
  fresh(): Promise<Fresh>;
}

const sqlite: Backend = {
  name: 'sqlite',
  async fresh() {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-store-'));
    // A directory that does not exist yet: openStore creates it.
    return {
      options: { dataDir: join(dir, 'data') },
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async fresh() {
    const name = `sluice_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    return {
      options: {
        dataDir: '/nonexistent',
        databaseUrl: `postgres://postgres@127.0.0.1:5432/${name}`,
      },
      dispose: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  },
};

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const LIMITS: Limits = {
  rpm: 60,
  tpm: 100_000,
  maxStreams: 4,
  budgetTokens: 5_000_000_000,
  budgetCost: 12.5,
  budgetPeriod: 'day',
};

const usage = usageRecord;

for (const backend of [sqlite, postgres]) {
  describe(`store on ${backend.name}`, () => {
    let fresh: Fresh;
    let store: Store;
    before(async () => {
      fresh = await backend.fresh();
      store = await openStore(fresh.options);
    });
    after(async () => {
      await store.close();
      await fresh.dispose();
    });

    it('is the requested kind and answers ping', async () => {
      assert.equal(store.kind, backend.name);
      await store.ping();
    });

    it('migrates once: a second migrate applies nothing', async () => {
      const again = await store.migrate();
      assert.deepEqual(again, { applied: [], current: LATEST });
      const other = await openStore(fresh.options);
      try {
        assert.deepEqual(await other.migrate(), { applied: [], current: LATEST });
      } finally {
        await other.close();
      }
    });

    it('makes the first user admin, then users; names are unique case-insensitively', async () => {
      const ada = await store.createUser({ username: 'Ada', passwordHash: 'h1', role: 'user' });
      assert.equal(ada.role, 'admin');
      assert.match(ada.id, /^usr_[a-z2-7]{20}$/);
      assert.deepEqual(ada.limits, NO_LIMITS);
      assert.equal(ada.disabled, false);
      const bob = await store.createUser({ username: 'bob', passwordHash: 'h2', limits: LIMITS });
      assert.equal(bob.role, 'user');
      assert.deepEqual(bob.limits, LIMITS);
      const cy = await store.createUser({ username: 'cy', passwordHash: 'h3', role: 'admin' });
      assert.equal(cy.role, 'admin');
      await assert.rejects(
        store.createUser({ username: 'ADA', passwordHash: 'x' }),
        (error) => error instanceof ConflictError,
      );
      assert.equal(await store.countUsers(), 3);

      const found = await store.findUserByName('aDa');
      assert.deepEqual(found, { ...ada, passwordHash: 'h1' });
      assert.equal(await store.findUserByName('nobody'), undefined);
      assert.deepEqual(await store.getUser(bob.id), bob);
      assert.equal(await store.getUser('usr_missing'), undefined);
      assert.deepEqual(
        // Oldest first; users created within one millisecond come in id order, so sort here.
        (await store.listUsers()).map((u) => u.username).sort(),
        ['Ada', 'bob', 'cy'],
      );
    });

    it('updates a user, and reports an unknown one', async () => {
      const dee = await store.createUser({ username: 'dee', passwordHash: 'old' });
      const updated = await store.updateUser(dee.id, {
        passwordHash: 'new',
        disabled: true,
        role: 'admin',
        limits: LIMITS,
      });
      assert.ok(updated);
      assert.equal(updated.disabled, true);
      assert.equal(updated.role, 'admin');
      assert.deepEqual(updated.limits, LIMITS);
      assert.ok(updated.updatedAt >= dee.updatedAt);
      assert.equal((await store.findUserByName('dee'))?.passwordHash, 'new');
      const back = await store.updateUser(dee.id, { disabled: false, limits: NO_LIMITS });
      assert.equal(back?.disabled, false);
      assert.deepEqual(back.limits, NO_LIMITS);
      assert.equal(back.role, 'admin');
      assert.equal(await store.updateUser('usr_missing', { disabled: true }), undefined);
    });

    it('records provider objects with their owner; the first creator keeps one', async () => {
      await store.recordObjects([
        { scope: 'files', id: 'file-a', userId: 'usr_1', upstream: 'openai' },
        { scope: 'files', id: 'file-b', userId: 'usr_2', upstream: null },
        { scope: 'batches', id: 'file-a', userId: 'usr_3', upstream: 'openai' },
      ]);
      await store.recordObjects([{ scope: 'files', id: 'file-a', userId: 'usr_9', upstream: 'x' }]);
      const found = await store.findObjects('files', ['file-a', 'file-b', 'file-c', 'file-a']);
      assert.deepEqual(
        found.sort((a, b) => a.id.localeCompare(b.id)),
        [
          { scope: 'files', id: 'file-a', userId: 'usr_1', upstream: 'openai' },
          { scope: 'files', id: 'file-b', userId: 'usr_2', upstream: null },
        ],
      );
      assert.deepEqual(await store.findObjects('files', []), []);
      const many = Array.from({ length: 1200 }, (_, i) => `file-m${i}`);
      await store.recordObjects(
        many.map((id) => ({ scope: 'files', id, userId: 'usr_1', upstream: null })),
      );
      assert.equal((await store.findObjects('files', many)).length, 1200);
    });

    it('creates, finds, lists, revokes and touches keys', async () => {
      const owner = await store.createUser({ username: 'keyholder', passwordHash: 'h' });
      const key = await store.createKey({
        userId: owner.id,
        name: 'laptop',
        prefix: 'sk-sluice-ab12cd',
        hash: 'a'.repeat(64),
        expiresAt: Date.UTC(2030, 0, 1),
        models: ['gpt-*', 'claude-3'],
        limits: LIMITS,
        routes: ['files', 'batches'],
      });
      assert.match(key.id, /^key_[a-z2-7]{20}$/);
      const other = await store.createKey({
        userId: owner.id,
        name: 'ci',
        prefix: 'sk-sluice-ef34gh',
        hash: 'b'.repeat(64),
        expiresAt: null,
        models: null,
        limits: NO_LIMITS,
        routes: [],
      });
      await assert.rejects(
        store.createKey({ ...other, userId: owner.id, hash: 'b'.repeat(64), expiresAt: null }),
        (error) => error instanceof ConflictError,
      );

      const found = await store.findKeyByHash('a'.repeat(64));
      assert.deepEqual(found, { key, user: owner });
      assert.equal(await store.findKeyByHash('c'.repeat(64)), undefined);
      assert.deepEqual(await store.getKey(other.id), other);
      assert.deepEqual(
        (await store.listKeys({ userId: owner.id })).map((k) => k.id).sort(),
        [key.id, other.id].sort(),
      );
      assert.ok((await store.listKeys()).length >= 2);
      assert.deepEqual(await store.listKeys({ userId: 'usr_missing' }), []);

      // Limits change; everything else about the key stays.
      const limited = await store.updateKey(other.id, { limits: LIMITS });
      assert.deepEqual(limited, { ...other, limits: LIMITS });
      assert.deepEqual((await store.findKeyByHash('b'.repeat(64)))?.key.limits, LIMITS);
      assert.deepEqual(await store.updateKey(other.id, {}), limited);
      assert.equal(await store.updateKey('key_missing', { limits: LIMITS }), undefined);

      assert.equal((await store.revokeKey(key.id, 5_000))?.revokedAt, 5_000);
      // Revoking again keeps the first time.
      assert.equal((await store.revokeKey(key.id, 9_000))?.revokedAt, 5_000);
      assert.equal(await store.revokeKey('key_missing', 1), undefined);
      assert.equal((await store.findKeyByHash('a'.repeat(64)))?.key.revokedAt, 5_000);

      await store.touchKeys(
        new Map([
          [key.id, 1_000],
          [other.id, 3_000],
          ['key_missing', 1],
        ]),
      );
      await store.touchKeys(new Map([[key.id, 500]]));
      assert.equal((await store.getKey(key.id))?.lastUsedAt, 1_000);
      await store.touchKeys(new Map([[key.id, 2_000]]));
      assert.equal((await store.getKey(key.id))?.lastUsedAt, 2_000);
      assert.equal((await store.getKey(other.id))?.lastUsedAt, 3_000);
      await store.touchKeys(new Map());
    });

    it('upserts a usage record: incomplete at start, done at the end, one row', async () => {
      const t = Date.UTC(2026, 0, 1);
      const start = usage({
        id: 'req-upsert',
        startedAt: t,
        endedAt: null,
        userId: 'usr_u',
        username: 'u',
        model: 'gpt-x',
      });
      await store.writeUsage([start]);
      let rows = await store.listUsage({ since: t, until: t + 1 });
      assert.deepEqual(
        rows.map((r) => [r.endReason, r.endedAt]),
        [['incomplete', null]],
      );

      const done = usage({
        id: 'req-upsert',
        startedAt: t,
        endedAt: t + 2_500,
        userId: 'usr_u',
        username: 'u',
        keyId: 'key_k',
        keyPrefix: 'sk-sluice-zz',
        clientIp: '10.0.0.7',
        model: 'gpt-x',
        upstream: 'openai',
        status: 200,
        upstreamTtfbMs: 12.5,
        clientTtfbMs: 13.25,
        events: 40,
        bytes: 10_000,
        maxGapMs: 250.75,
        promptTokens: 100,
        completionTokens: 50,
        cachedTokens: 20,
        reasoningTokens: 10,
        cost: 0.0042,
        endReason: 'client_cancelled',
        usageSource: 'upstream',
      });
      await store.writeUsage([done]);
      rows = await store.listUsage({ since: t, until: t + 1 });
      assert.deepEqual(rows, [done]);
      await store.writeUsage([]);
    });

    it('writes a batch all or nothing', async () => {
      const t = Date.UTC(2026, 0, 2);
      const good = usage({ id: 'req-batch-1', startedAt: t });
      // endpoint is NOT NULL: the second record fails, and takes the first with it.
      const bad = {
        ...usage({ id: 'req-batch-2', startedAt: t }),
        endpoint: null,
      } as unknown as UsageRecord;
      await assert.rejects(store.writeUsage([good, bad]));
      assert.deepEqual(await store.listUsage({ since: t, until: t + 1 }), []);
    });

    it('lists usage newest first, filtered and limited', async () => {
      const t = Date.UTC(2026, 1, 1);
      await store.writeUsage([
        usage({ id: 'l1', startedAt: t, userId: 'usr_a', keyId: 'key_a' }),
        usage({ id: 'l2', startedAt: t + 10, userId: 'usr_a', keyId: 'key_b' }),
        usage({ id: 'l3', startedAt: t + 20, userId: 'usr_b', keyId: 'key_c' }),
        usage({ id: 'l4', startedAt: t + 20, userId: 'usr_a', keyId: 'key_a' }),
      ]);
      const ids = async (filter: Parameters<Store['listUsage']>[0]) =>
        (await store.listUsage(filter)).map((r) => r.id);
      const window = { since: t, until: t + 100 };
      assert.deepEqual(await ids(window), ['l4', 'l3', 'l2', 'l1']);
      assert.deepEqual(await ids({ ...window, userId: 'usr_a' }), ['l4', 'l2', 'l1']);
      assert.deepEqual(await ids({ ...window, keyId: 'key_a' }), ['l4', 'l1']);
      assert.deepEqual(await ids({ ...window, userId: 'usr_a', keyId: 'key_b' }), ['l2']);
      assert.deepEqual(await ids({ since: t + 10, until: t + 20 }), ['l2']);
      assert.deepEqual(await ids({ ...window, limit: 2 }), ['l4', 'l3']);
      assert.deepEqual(await ids({ userId: 'usr_a', keyId: 'key_a', limit: 1 }), ['l4']);
    });

    it('filters usage by id, key prefix, model or alias, upstream, status, end reason; pages by cursor', async () => {
      const t = Date.UTC(2026, 2, 1);
      await store.writeUsage([
        usage({
          id: 'f1',
          startedAt: t,
          keyId: 'key_1',
          keyPrefix: 'sk-sluice-aa11',
          model: 'gpt-a',
          upstream: 'openai',
        }),
        usage({
          id: 'f2',
          startedAt: t + 1,
          keyId: 'key_2',
          keyPrefix: 'sk-sluice-aa22',
          model: 'gpt-b',
          requestedModel: 'fast',
          upstream: 'azure',
          status: 429,
          endReason: 'rejected',
        }),
        usage({
          id: 'f3',
          startedAt: t + 2,
          keyId: 'key_3',
          keyPrefix: 'sk-sluice-bb33',
          model: 'gpt-a',
          upstream: 'azure',
          status: 502,
          endReason: 'upstream_error',
        }),
        usage({
          id: 'f4',
          startedAt: t + 2,
          keyPrefix: 'web',
          model: 'fast',
          upstream: 'openai',
          status: 200,
          endReason: 'client_cancelled',
        }),
        usage({ id: 'f5', startedAt: t + 3, keyPrefix: 'sk_%', endedAt: null, status: null }),
      ]);
      const window = { since: t, until: t + 10 };
      const ids = async (filter: Parameters<Store['listUsage']>[0]) =>
        (await store.listUsage({ ...window, ...filter })).map((r) => r.id);
      assert.deepEqual(await ids({}), ['f5', 'f4', 'f3', 'f2', 'f1']);
      assert.deepEqual(await ids({ id: 'f3' }), ['f3']);
      assert.deepEqual(await ids({ keyPrefix: 'sk-sluice-aa' }), ['f2', 'f1']);
      assert.deepEqual(await ids({ keyPrefix: 'sk-sluice-aa22' }), ['f2']);
      assert.deepEqual(await ids({ keyPrefix: 'web' }), ['f4']);
      // A prefix is text: `_` and `%` are not wildcards.
      assert.deepEqual(await ids({ keyPrefix: 'sk_' }), ['f5']);
      assert.deepEqual(await ids({ keyPrefix: 'sk-sluice-aa1x' }), []);
      assert.deepEqual(await ids({ model: 'gpt-a' }), ['f3', 'f1']);
      // The alias the client asked for finds what it was served as, and a model named so.
      assert.deepEqual(await ids({ model: 'fast' }), ['f4', 'f2']);
      assert.deepEqual(await ids({ upstream: 'azure' }), ['f3', 'f2']);
      assert.deepEqual(await ids({ status: { from: 429, to: 430 } }), ['f2']);
      assert.deepEqual(await ids({ status: { from: 400, to: 500 } }), ['f2']);
      assert.deepEqual(await ids({ status: { from: 200, to: 300 } }), ['f4', 'f1']);
      assert.deepEqual(await ids({ endReason: 'upstream_error' }), ['f3']);
      assert.deepEqual(await ids({ endReason: 'incomplete' }), ['f5']);
      assert.deepEqual(await ids({ upstream: 'azure', status: { from: 500, to: 600 } }), ['f3']);

      // Pages: two records started at once are split by id, none lost or repeated.
      const page1 = await store.listUsage({ ...window, limit: 2 });
      assert.deepEqual(
        page1.map((r) => r.id),
        ['f5', 'f4'],
      );
      const last = page1.at(-1);
      assert.ok(last !== undefined);
      const cursor = { startedAt: last.startedAt, id: last.id };
      assert.deepEqual(await ids({ after: cursor, limit: 2 }), ['f3', 'f2']);
      assert.deepEqual(await ids({ after: { startedAt: t + 2, id: 'f3' } }), ['f2', 'f1']);
      assert.deepEqual(await ids({ after: { startedAt: t, id: 'f1' } }), []);
    });

    describe('summaries and totals', () => {
      const day1 = Date.UTC(2026, 10, 24, 10);
      // 23:59 UTC: the day in any other time zone would differ.
      const day2 = Date.UTC(2026, 10, 25, 23, 59);
      const window = { since: day1, until: day2 + 1 };
      const ada = { userId: 'usr_ada', username: 'ada', keyId: 'key_ada', keyPrefix: 'sk-ada' };
      const bob = { userId: 'usr_bob', username: 'bob', keyId: 'key_bob', keyPrefix: 'sk-bob' };
      before(async () => {
        // Costs are binary fractions so that sums compare exactly.
        await store.writeUsage([
          usage({
            id: 's1',
            startedAt: day1,
            ...ada,
            model: 'gpt-a',
            promptTokens: 10,
            completionTokens: 5,
            cachedTokens: 4,
            reasoningTokens: 2,
            searches: 1,
            cost: 0.5,
            clientTtfbMs: 100,
          }),
          usage({
            id: 's2',
            startedAt: day1 + 1,
            ...ada,
            model: 'gpt-a',
            promptTokens: 20,
            completionTokens: 10,
            cost: 0.25,
            clientTtfbMs: 300,
          }),
          usage({
            id: 's3',
            startedAt: day2,
            ...ada,
            model: 'gpt-b',
            promptTokens: 1,
            completionTokens: 1,
            cost: null,
            clientTtfbMs: 200,
          }),
          usage({
            id: 's4',
            startedAt: day2,
            ...bob,
            model: 'gpt-a',
            promptTokens: 7,
            completionTokens: 3,
            searches: 2,
            cost: 1,
            clientTtfbMs: null,
          }),
          usage({
            id: 's5',
            startedAt: day2 - 1,
            ...bob,
            model: 'gpt-a',
            promptTokens: 3,
            completionTokens: 2,
            cost: 0.125,
            clientTtfbMs: 50,
          }),
          usage({ id: 's6', startedAt: day1 + 2, status: 401, endReason: 'rejected' }),
          // The web page's model list: kept as a record, never counted in a summary.
          usage({ id: 's7', startedAt: day1 + 3, ...ada, endpoint: '/v1/models', clientTtfbMs: 5 }),
        ]);
      });

      it('groups by user, with sums and the median time to first byte', async () => {
        assert.deepEqual(await store.summarizeUsage(window, ['user']), [
          {
            group: { user: 'ada' },
            requests: 3,
            promptTokens: 31,
            completionTokens: 16,
            cachedTokens: 4,
            reasoningTokens: 2,
            searches: 1,
            cost: 0.75,
            clientTtfbMsP50: 200,
          },
          {
            group: { user: 'bob' },
            requests: 2,
            promptTokens: 10,
            completionTokens: 5,
            cachedTokens: 0,
            reasoningTokens: 0,
            searches: 2,
            cost: 1.125,
            clientTtfbMsP50: 50,
          },
          {
            group: { user: null },
            requests: 1,
            promptTokens: 0,
            completionTokens: 0,
            cachedTokens: 0,
            reasoningTokens: 0,
            searches: 0,
            cost: 0,
            clientTtfbMsP50: null,
          },
        ]);
      });

      it('groups by UTC day, the median of an even count being the mean of the middle two', async () => {
        assert.deepEqual(await store.summarizeUsage(window, ['day']), [
          {
            group: { day: '2026-11-24' },
            requests: 3,
            promptTokens: 30,
            completionTokens: 15,
            cachedTokens: 4,
            reasoningTokens: 2,
            searches: 1,
            cost: 0.75,
            clientTtfbMsP50: 200,
          },
          {
            group: { day: '2026-11-25' },
            requests: 3,
            promptTokens: 11,
            completionTokens: 6,
            cachedTokens: 0,
            reasoningTokens: 0,
            searches: 2,
            cost: 1.125,
            clientTtfbMsP50: 125,
          },
        ]);
      });

      it('groups by model and day, and by key within one user', async () => {
        const rows = await store.summarizeUsage(window, ['model', 'day']);
        assert.deepEqual(
          rows.map((r) => [r.group.model, r.group.day, r.requests, r.clientTtfbMsP50]),
          [
            ['gpt-a', '2026-11-24', 2, 200],
            ['gpt-a', '2026-11-25', 2, 50],
            ['gpt-b', '2026-11-25', 1, 200],
            [null, '2026-11-24', 1, null],
          ],
        );
        const byKey = await store.summarizeUsage({ ...window, userId: 'usr_bob' }, ['key', 'user']);
        assert.deepEqual(
          byKey.map((r) => [r.group, r.requests, r.promptTokens]),
          [[{ key: 'sk-bob', user: 'bob' }, 2, 10]],
        );
      });

      it('leaves model-list calls out of the sums, not out of the records', async () => {
        assert.deepEqual(
          (await store.listUsage({ ...window, endReason: 'done', userId: 'usr_ada' })).map(
            (r) => r.id,
          ),
          ['s3', 's7', 's2', 's1'],
        );
        const [ada] = await store.summarizeUsage({ ...window, userId: 'usr_ada' }, []);
        assert.equal(ada?.requests, 3);
      });

      it('applies the record filters to sums, and ignores a page cursor', async () => {
        const rows = await store.summarizeUsage(
          { ...window, model: 'gpt-a', after: { startedAt: day1, id: 's1' } },
          ['user'],
        );
        assert.deepEqual(
          rows.map((r) => [r.group.user, r.requests]),
          [
            ['ada', 2],
            ['bob', 2],
          ],
        );
        const [failed] = await store.summarizeUsage(
          { ...window, status: { from: 400, to: 500 } },
          [],
        );
        assert.equal(failed?.requests, 1);
      });

      it('sums everything when not grouped', async () => {
        const [total] = await store.summarizeUsage(window, []);
        assert.deepEqual(total, {
          group: {},
          requests: 6,
          promptTokens: 41,
          completionTokens: 21,
          cachedTokens: 4,
          reasoningTokens: 2,
          searches: 3,
          cost: 1.875,
          clientTtfbMsP50: 150,
        });
      });

      it('totals tokens and cost of a user or key since a time', async () => {
        assert.deepEqual(await store.usageTotals({ userId: 'usr_ada' }, day1), {
          tokens: 47,
          cost: 0.75,
        });
        assert.deepEqual(await store.usageTotals({ userId: 'usr_ada' }, day2), {
          tokens: 2,
          cost: 0,
        });
        assert.deepEqual(await store.usageTotals({ keyId: 'key_bob' }, day1), {
          tokens: 15,
          cost: 1.125,
        });
        assert.deepEqual(await store.usageTotals({ keyId: 'key_none' }, 0), { tokens: 0, cost: 0 });
      });
    });

    it('first-run setup raced from two instances: one user, the rest refused setup_done', async () => {
      // Each setup asks for admin; six at once made six admins when the count came first.
      const empty = await backend.fresh();
      const a = connectStore(empty.options);
      const b = connectStore(empty.options);
      try {
        await a.migrate();
        const setups = await Promise.allSettled(
          [a, b, a, b, a, b].map((s, i) =>
            s.createUser({
              username: `setup${i}`,
              passwordHash: 'h',
              role: 'admin',
              onlyFirst: true,
            }),
          ),
        );
        assert.equal(setups.filter((r) => r.status === 'fulfilled').length, 1);
        for (const refused of setups.filter((r) => r.status === 'rejected'))
          assert.ok(refused.reason instanceof SetupDoneError, String(refused.reason));
        assert.equal(await a.countUsers(), 1);
      } finally {
        await Promise.all([a.close(), b.close()]);
        await empty.dispose();
      }
    });

    it('migrates once when two instances start together, and makes exactly one admin', async () => {
      const empty = await backend.fresh();
      const a = connectStore(empty.options);
      const b = connectStore(empty.options);
      try {
        const reports = await Promise.all([a.migrate(), b.migrate()]);
        assert.deepEqual(
          reports.map((r) => r.applied.length).sort(),
          [0, LATEST],
          'one instance applies the migrations, the other finds them done',
        );
        assert.deepEqual(
          reports.map((r) => r.current),
          [LATEST, LATEST],
        );
        const users = await Promise.all(
          [a, b, a, b, a, b].map((s, i) =>
            s.createUser({ username: `racer${i}`, passwordHash: 'h' }),
          ),
        );
        assert.equal(users.filter((u) => u.role === 'admin').length, 1);
      } finally {
        await Promise.all([a.close(), b.close()]);
        await empty.dispose();
      }
    });
  });
}

describe('parseDatabaseUrl', () => {
  it('accepts postgres:// and postgresql://', () => {
    assert.equal(parseDatabaseUrl('postgres://u:p@db:5432/sluice').hostname, 'db');
    assert.equal(parseDatabaseUrl(' postgresql://db/sluice ').pathname, '/sluice');
  });

  it('names the expected form, and hides the password', () => {
    assert.throws(
      () => parseDatabaseUrl('mysql://root:hunter2@db/sluice'),
      (error: Error) =>
        error.message.startsWith(
          'DATABASE_URL must be postgres://user:pass@host:5432/dbname; got "mysql://root:***@db/sluice"',
        ) && !error.message.includes('hunter2'),
    );
    assert.throws(() => parseDatabaseUrl('localhost:5432'), /DATABASE_URL must be postgres:\/\//);
    assert.throws(() => parseDatabaseUrl('not a url'), /got "not a url", which is not a URL/);
  });
});

describe('an unavailable store', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function listen(onConnection: (socket: Socket) => void): Promise<number> {
    const server = createServer(onConnection);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    return address.port;
  }

  it('PostgreSQL refusing connections: openStore rejects with StoreUnavailableError', async () => {
    const port = await listen(() => undefined);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const started = Date.now();
    await assert.rejects(
      openStore({
        dataDir: '/nonexistent',
        databaseUrl: `postgres://postgres@127.0.0.1:${port}/x`,
      }),
      (error) => error instanceof StoreUnavailableError && /ECONNREFUSED/.test(error.message),
    );
    assert.ok(Date.now() - started < 5_000);
  });

  it('PostgreSQL that never answers: openStore gives up after the connect timeout', async () => {
    const port = await listen((socket) => sockets.push(socket));
    const started = Date.now();
    await assert.rejects(
      openStore({
        dataDir: '/nonexistent',
        databaseUrl: `postgres://postgres@127.0.0.1:${port}/x`,
      }),
      (error) => error instanceof StoreUnavailableError,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 4_500 && elapsed < 8_000, `gave up after ${elapsed} ms`);
  });

  it('SQLite whose data directory cannot be created', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-store-'));
    try {
      const file = join(dir, 'a-file');
      await writeFile(file, '');
      await assert.rejects(
        openStore({ dataDir: join(file, 'data') }),
        (error) => error instanceof StoreUnavailableError,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite shared by two processes (the server and the CLI)', () => {
  it('serialises their writes: every user lands, exactly one admin', async () => {
    const fresh = await sqlite.fresh();
    const { options } = fresh;
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { openStore } = await import(process.env.STORE_MODULE);
const store = await openStore({ dataDir: process.env.DATA_DIR });
process.stdout.write('ready\\n');
for (let i = 0; i < 100; i++) await store.createUser({ username: 'child' + i, passwordHash: 'h' });
await store.close();`,
      ],
      {
        env: {
          ...process.env,
          STORE_MODULE: new URL('./index.ts', import.meta.url).href,
          DATA_DIR: options.dataDir,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => {
          resolve();
        });
        child.once('exit', () => {
          reject(new Error('the child process exited before opening the store'));
        });
      });
      const store = await openStore(options);
      try {
        for (let i = 0; i < 100; i++) {
          await store.createUser({ username: `parent${i}`, passwordHash: 'h' });
        }
        assert.equal(await exited, 0);
        const users = await store.listUsers();
        assert.equal(users.length, 200);
        assert.equal(users.filter((u) => u.role === 'admin').length, 1);
      } finally {
        await store.close();
      }
    } finally {
      child.kill();
      await fresh.dispose();
    }
  });
});
