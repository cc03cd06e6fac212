/**
 * Usage records on their way to the store. Each is journaled as it is put (`usage-journal.ts`),
 * so a killed process loses none; writes to the store are batched and never block a stream;
 * when the store is down records wait here and are written when it returns — none is dropped.
 * The queue is bounded: once full, new requests are refused (the caller answers 503) rather
 * than run unrecorded; records of requests already running are always accepted. If the store is
 * still down at shutdown, the journal keeps them for the next start.
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/index.ts';
import type { Store, UsageRecord } from '../store/types.ts';
import { recordFromLine, type UsageJournal } from './usage-journal.ts';

export interface UsageQueueOptions {
  /** Records waiting at most; beyond it `accepting` turns false. */
  readonly maxRecords?: number;
  /** How long a record waits for others to share its write. */
  readonly batchMs?: number;
  readonly maxBatch?: number;
  /** Where an older Sluice kept records still unwritten at shutdown (`usage-pending.jsonl`). */
  readonly spillDir: string;
  readonly log: Logger;
  /** Where every record is appended before it is queued; none in some unit tests. */
  readonly journal?: UsageJournal | undefined;
}

const SPILL_FILE = 'usage-pending.jsonl';

export class UsageQueue {
  readonly #store: Store;
  readonly #o: Required<Omit<UsageQueueOptions, 'journal'>>;
  readonly #journal: UsageJournal | undefined;
  /**
   * Pending records by id, with the journal segment of that version: a later version of a
   * record replaces the earlier one unwritten.
   */
  readonly #pending = new Map<string, { record: UsageRecord; segment: number | undefined }>();
  readonly #lastUsed = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #failures = 0;

  constructor(store: Store, options: UsageQueueOptions) {
    this.#store = store;
    this.#o = { maxRecords: 10_000, batchMs: 50, maxBatch: 500, ...options };
    this.#journal = options.journal;
  }

  /** Whether a new request may start: its record would fit. */
  get accepting(): boolean {
    return this.#pending.size < this.#o.maxRecords;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Journals the record (synchronously: when this returns, a kill cannot lose it), then queues it. */
  put(record: UsageRecord): void {
    const segment = this.#journal?.append(record);
    const replaced = this.#pending.get(record.id);
    if (replaced?.segment !== undefined) this.#journal?.release(replaced.segment);
    this.#pending.set(record.id, { record, segment });
    this.#schedule(this.#o.batchMs);
  }

  /** Notes that a key was used; written with the next batch, the latest time kept. */
  touchKey(keyId: string, at: number): void {
    this.#lastUsed.set(keyId, Math.max(at, this.#lastUsed.get(keyId) ?? 0));
    this.#schedule(this.#o.batchMs);
  }

  /** Writes everything now; rejects if the store fails. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    while (this.#pending.size > 0 || this.#lastUsed.size > 0) await this.#write(true);
  }

  /**
   * Shutdown: keeps trying to write for `graceMs`; whatever the store still refuses stays in
   * the journal, for the next start, rather than being lost.
   */
  async close(graceMs = 5000): Promise<void> {
    const deadline = Date.now() + graceMs;
    for (;;) {
      try {
        await this.flush();
        break;
      } catch {
        if (Date.now() >= deadline) {
          this.#o.log.error(
            'usage store unreachable at shutdown; records kept for the next start',
            {
              records: this.#pending.size,
            },
          );
          break;
        }
        await sleep(200);
      }
    }
    this.#journal?.close();
  }

  /** At start: writes records a previous run could not, then removes their file. */
  async restoreSpilled(): Promise<void> {
    const file = join(this.#o.spillDir, SPILL_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return;
    }
    const records = text.split('\n').filter(Boolean).map(recordFromLine);
    for (const record of records) this.#pending.set(record.id, { record, segment: undefined });
    await this.flush();
    await unlink(file);
    this.#o.log.info('wrote usage records kept from the last run', { records: records.length });
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined || this.#writing !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#writing = this.#write(false).finally(() => {
        this.#writing = undefined;
        if (this.#pending.size > 0 || this.#lastUsed.size > 0) this.#schedule(this.#retryDelay());
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #write(throwOnError: boolean): Promise<void> {
    const batch = [...this.#pending.values()].slice(0, this.#o.maxBatch);
    const records = batch.map((entry) => entry.record);
    const touched = new Map(this.#lastUsed);
    try {
      if (records.length > 0) await this.#store.writeUsage(records);
      if (touched.size > 0) await this.#store.touchKeys(touched);
    } catch (error) {
      this.#failures++;
      if (this.#failures === 1 || this.#failures % 20 === 0) {
        this.#o.log.warn('usage store unavailable; records wait in memory', {
          pending: this.#pending.size,
          error,
        });
      }
      if (throwOnError) throw error;
      return;
    }
    if (this.#failures > 0)
      this.#o.log.info('usage store back; queued records written', { batch: batch.length });
    this.#failures = 0;
    // Only what was written goes: a record updated meanwhile stays for the next batch.
    for (const entry of batch) {
      if (this.#pending.get(entry.record.id) !== entry) continue;
      this.#pending.delete(entry.record.id);
      if (entry.segment !== undefined) this.#journal?.release(entry.segment);
    }
    for (const [id, at] of touched) if (this.#lastUsed.get(id) === at) this.#lastUsed.delete(id);
  }

  /** Backs off while the store fails, from a batch interval up to five seconds. */
  #retryDelay(): number {
    return this.#failures === 0
      ? 0
      : Math.min(5000, this.#o.batchMs * 2 ** Math.min(this.#failures, 7));
  }
}
