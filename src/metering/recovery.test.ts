/**
 * Recovery after a worker's death, on PostgreSQL: the primary learns of the death from the
 * kernel, the server from the closed connection — and on a busy machine the server can learn
 * later. The lock a dead worker held is still taken when recovery first asks.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createLogger } from '../log/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { usageRecord } from '../../test/support/usage-record.ts';
import { testDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { waitFor } from '../../test/support/wait.ts';
import { recoverUsage } from './recovery.ts';

const log = createLogger('silent');

describe('recoverUsage of a worker seen to die (postgres)', () => {
  let db: TestDatabase;
  let dir: string;
  before(async () => {
    db = await testDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-recovery-'));
  });
  after(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('waits until the server lets go of its lock, then closes its records as interrupted', async () => {
    const dying = await openStore({ dataDir: dir, databaseUrl: db.url });
    const primary = await openStore({ dataDir: dir, databaseUrl: db.url });
    try {
      await dying.claimInstance('deadbeef01');
      await dying.writeUsage([
        usageRecord({
          id: 'req-cut',
          startedAt: 1,
          endedAt: null,
          endReason: 'incomplete',
          instanceId: 'deadbeef01',
        }),
      ]);
      // The worker is gone, but its lock is not yet: recovery starts while it is still held.
      const recovery = recoverUsage({
        store: primary,
        dir: join(dir, 'journal'),
        instance: 'primary01',
        died: 'deadbeef01',
        log,
      });
      await waitFor(() => waitingForLock(db.url), { what: 'recovery waiting for the lock' });
      await dying.close(); // the server notices the closed connection only now
      await recovery;
      assert.equal(await endReason(primary, 'req-cut'), 'interrupted');
    } finally {
      await dying.close();
      await primary.close();
    }
  });
});

async function waitingForLock(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()`,
    );
    return (rows[0] as { n: number }).n > 0;
  } finally {
    await client.end();
  }
}

async function endReason(store: Store, id: string): Promise<string | undefined> {
  const [record] = await store.listUsage({ id });
  return record?.endReason;
}
