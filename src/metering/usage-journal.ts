/**
 * Usage records on their way to the store are first appended to a journal in the data
 * directory, synchronously, before the response they describe completes. A killed process
 * loses nothing it had answered: the kernel has the bytes once `write` returns (a machine that
 * loses power may lose the last moments; there is no fsync per record). The next start on this
 * data directory writes a dead instance's journal to the store (`recovery.ts`).
 *
 * One file per segment, `<instance>.<n>.jsonl`; a segment is removed once every record whose
 * latest version it holds is in the store, and a new one begun every `SEGMENT_BYTES`.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/index.ts';
import type { UsageRecord } from '../store/types.ts';

const SEGMENT_BYTES = 4 * 1024 * 1024;

export class UsageJournal {
  readonly #dir: string;
  readonly #instance: string;
  readonly #log: Logger;
  /** Records whose latest version each segment holds and the store does not have yet. */
  readonly #live = new Map<number, number>();
  #segment = 0;
  #fd: number | undefined;
  #bytes = 0;
  #failing = false;

  constructor(dir: string, instance: string, log: Logger) {
    this.#dir = dir;
    this.#instance = instance;
    this.#log = log;
    mkdirSync(dir, { recursive: true });
    this.#open();
  }

  /** Appends a record; returns the segment that now holds its latest version. */
  append(record: UsageRecord): number {
    if (this.#bytes >= SEGMENT_BYTES) this.#rotate();
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    try {
      if (this.#fd !== undefined) writeSync(this.#fd, line);
      this.#bytes += line.length;
      this.#failing = false;
    } catch (error) {
      // A full disk must not stop the gateway; the record still waits in memory for the store.
      if (!this.#failing) this.#log.error('cannot write the usage journal', { error });
      this.#failing = true;
    }
    this.#live.set(this.#segment, (this.#live.get(this.#segment) ?? 0) + 1);
    return this.#segment;
  }

  /** A record's version held by `segment` is in the store (or superseded): it may go. */
  release(segment: number): void {
    const live = (this.#live.get(segment) ?? 1) - 1;
    if (live > 0 || segment === this.#segment) {
      this.#live.set(segment, live);
      return;
    }
    this.#live.delete(segment);
    rmSync(this.#file(segment), { force: true });
  }

  /** At a clean exit with everything stored, the journal goes; otherwise it stays for replay. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    if ([...this.#live.values()].every((n) => n <= 0))
      for (const segment of [...this.#live.keys(), this.#segment])
        rmSync(this.#file(segment), { force: true });
  }

  #open(): void {
    this.#fd = openSync(this.#file(this.#segment), 'a');
    this.#bytes = 0;
  }

  #rotate(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    const finished = this.#segment;
    this.#segment++;
    this.#open();
    if ((this.#live.get(finished) ?? 0) <= 0) {
      this.#live.delete(finished);
      rmSync(this.#file(finished), { force: true });
    }
  }

  #file(segment: number): string {
    return join(this.#dir, `${this.#instance}.${segment}.jsonl`);
  }
}

/** The journals in `dir` by instance: their files, oldest segment first. */
export function journalsIn(dir: string): Map<string, string[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return new Map();
  }
  const byInstance = new Map<string, { segment: number; file: string }[]>();
  for (const name of names) {
    const match = /^([A-Za-z0-9_-]+)\.(\d+)\.jsonl$/.exec(name);
    if (match === null) continue;
    const [, instance = '', segment = '0'] = match;
    const files = byInstance.get(instance) ?? [];
    files.push({ segment: Number(segment), file: join(dir, name) });
    byInstance.set(instance, files);
  }
  return new Map(
    [...byInstance].map(([instance, files]) => [
      instance,
      files.sort((a, b) => a.segment - b.segment).map((f) => f.file),
    ]),
  );
}

/**
 * The latest version of each record in a journal's files. A line cut short by the kill that
 * ended its process is skipped: the record's previous version stands.
 */
export function readJournal(files: readonly string[]): UsageRecord[] {
  const latest = new Map<string, UsageRecord>();
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        const record = recordFromLine(line);
        latest.set(record.id, record);
      } catch {
        // the torn last line of a killed process
      }
    }
  }
  return [...latest.values()];
}

/**
 * A record as a journal or spill file kept it — perhaps by an older version, before some fields
 * existed: those read as a record of that time would have them.
 */
export function recordFromLine(line: string): UsageRecord {
  return { ...ADDED_LATER, ...(JSON.parse(line) as Partial<UsageRecord>) } as UsageRecord;
}

const ADDED_LATER: Pick<
  UsageRecord,
  'instanceId' | 'requestedModel' | 'clientTtftMs' | 'tries' | 'searches'
> = Object.freeze({
  instanceId: null,
  requestedModel: null,
  clientTtftMs: null,
  tries: null,
  searches: 0,
});
