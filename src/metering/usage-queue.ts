/**
 * Usage records on their way to the store. Writes are batched and never block a stream; when
 * the store is down they wait here and are written when it returns — none is dropped. The queue
 * is bounded: once full, new requests are refused (the caller answers 503) rather than run
 * unrecorded; records of requests already running are always accepted. If the store is still
 * down at shutdown, the records go to a file in the data directory, written on the next start.
 */
import { appendFile, mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/index.ts';
import type { Store, UsageRecord } from '../store/types.ts';

export interface UsageQueueOptions {
  /** Records waiting at most; beyond it `accepting` turns false. */
  readonly maxRecords?: number;
  /** How long a record waits for others to share its write. */
  readonly batchMs?: number;
  readonly maxBatch?: number;
  /** Where records still unwritten at shutdown are kept (`usage-pending.jsonl`). */
  readonly spillDir: string;
  readonly log: Logger;
}

const SPILL_FILE = 'usage-pending.jsonl';

export class UsageQueue {
  readonly #store: Store;
  readonly #o: Required<UsageQueueOptions>;
  /** Pending records by id: a later version of a record replaces the earlier one unwritten. */
  readonly #pending = new Map<string, UsageRecord>();
  readonly #lastUsed = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #failures = 0;

  constructor(store: Store, options: UsageQueueOptions) {
    this.#store = store;
    this.#o = { maxRecords: 10_000, batchMs: 50, maxBatch: 500, ...options };
  }

  /** Whether a new request may start: its record would fit. */
  get accepting(): boolean {
    return this.#pending.size < this.#o.maxRecords;
  }

  get pending(): number {
    return this.#pending.size;
  }

  put(record: UsageRecord): void {
    this.#pending.set(record.id, record);
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
   * Shutdown: keeps trying to write for `graceMs`; whatever the store still refuses is appended
   * to the spill file rather than lost.
   */
  async close(graceMs = 5000): Promise<void> {
    const deadline = Date.now() + graceMs;
    for (;;) {
      try {
        await this.flush();
        return;
      } catch {
        if (Date.now() >= deadline) break;
        await sleep(200);
      }
    }
    const lines = [...this.#pending.values()].map((r) => JSON.stringify(r) + '\n').join('');
    await mkdir(this.#o.spillDir, { recursive: true });
    await appendFile(join(this.#o.spillDir, SPILL_FILE), lines);
    this.#o.log.error('usage store unreachable at shutdown; records kept for the next start', {
      records: this.#pending.size,
      file: join(this.#o.spillDir, SPILL_FILE),
    });
    this.#pending.clear();
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
    const records = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as UsageRecord);
    for (const record of records) this.#pending.set(record.id, record);
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
    const touched = new Map(this.#lastUsed);
    try {
      if (batch.length > 0) await this.#store.writeUsage(batch);
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
    for (const record of batch)
      if (this.#pending.get(record.id) === record) this.#pending.delete(record.id);
    for (const [id, at] of touched) if (this.#lastUsed.get(id) === at) this.#lastUsed.delete(id);
  }

  /** Backs off while the store fails, from a batch interval up to five seconds. */
  #retryDelay(): number {
    return this.#failures === 0
      ? 0
      : Math.min(5000, this.#o.batchMs * 2 ** Math.min(this.#failures, 7));
  }
}
