/**
 * At start, before serving: the usage a dead process journaled is written to the store, then
 * the records that dead processes left incomplete are closed as `interrupted`. "Dead" is asked
 * of the store (`store/liveness.ts`), so with several instances on PostgreSQL a living one's
 * requests in flight are left alone.
 */
import { rmSync } from 'node:fs';
import type { Logger } from '../log/index.ts';
import type { Store } from '../store/types.ts';
import { journalsIn, readJournal } from './usage-journal.ts';

export interface RecoveryOptions {
  readonly store: Store;
  /** The journal directory of this data directory. */
  readonly dir: string;
  /** This process: never its own records. */
  readonly instance: string;
  /**
   * A process the caller saw die (a worker of this primary): its liveness is waited out, up to
   * `RELEASE_WAIT_MS`, rather than asked once — asked at once, PostgreSQL may not have noticed.
   */
  readonly died?: string | undefined;
  readonly log: Logger;
  readonly now?: () => number;
}

const BATCH = 500;

/** How long a known death may take to reach the store (PostgreSQL: its lock let go). */
const RELEASE_WAIT_MS = 30_000;

export async function recoverUsage(options: RecoveryOptions): Promise<void> {
  const { store, log, instance, died } = options;
  const released = died !== undefined && (await store.instanceReleased(died, RELEASE_WAIT_MS));
  if (died !== undefined && !released)
    log.warn(
      'the store still counts a dead process alive; its records wait for the next recovery',
      {
        instance: died,
      },
    );
  const alive = async (other: string) =>
    other === died ? !released : await store.instanceAlive(other);
  for (const [other, files] of journalsIn(options.dir)) {
    if (other === instance || (await alive(other))) continue;
    const records = readJournal(files);
    for (let i = 0; i < records.length; i += BATCH)
      await store.writeUsage(records.slice(i, i + BATCH));
    for (const file of files) rmSync(file, { force: true });
    if (records.length > 0)
      log.info('wrote the usage records a stopped process journaled', {
        instance: other,
        records: records.length,
      });
  }
  const at = (options.now ?? Date.now)();
  for (const other of await store.incompleteInstances(instance)) {
    if (other !== null && (await alive(other))) continue;
    const closed = await store.closeInterrupted(other, at);
    if (closed > 0)
      log.warn('closed usage records left incomplete by a process that died', {
        instance: other,
        records: closed,
      });
  }
}
