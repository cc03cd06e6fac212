/**
 * `Db` over node:sqlite. The driver is synchronous; each call runs inside a per-file mutex so
 * that an async transaction (`BEGIN IMMEDIATE` … `COMMIT`, awaiting between statements) never
 * has unrelated statements of this process land inside it, and so that two connections of
 * one process to the same file queue in memory instead of spinning on SQLite's busy handler
 * (which blocks the thread, so the holder could never finish: a self-deadlock). Other
 * processes (the CLI beside the server) are kept apart by SQLite's own locks: WAL lets
 * readers through, and `busy_timeout` makes writers wait.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Db, Dialect, Queries, Row, SqlValue } from './db.ts';
import { mapSqliteError } from './errors.ts';
import { type Liveness, SocketLiveness } from './liveness.ts';
import { Mutex } from './mutex.ts';

const MEDIAN = 'sluice_median';

const dialect: Dialect = {
  kind: 'sqlite',
  startedDay: `strftime('%Y-%m-%d', started_at / 1000, 'unixepoch')`,
  // SQLite has no percentile function: a JS aggregate registered on each connection.
  median: (column) => `${MEDIAN}(${column})`,
};

/** One mutex per database file for the whole process. */
const fileLocks = new Map<string, Mutex>();

export function openSqliteDb(dataDir: string): Db {
  const path = resolve(join(dataDir, 'sluice.db'));
  let db: DatabaseSync;
  try {
    mkdirSync(dataDir, { recursive: true });
    db = new DatabaseSync(path);
  } catch (error) {
    throw mapSqliteError(error);
  }
  try {
    // busy_timeout first: switching to WAL needs a lock another process may hold.
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
  } catch (error) {
    db.close();
    throw mapSqliteError(error);
  }
  // The state must be an SQL value, so the group's values travel as a comma-separated string;
  // JS number → string → number round-trips exactly.
  db.aggregate<string>(MEDIAN, {
    start: '',
    step: (state: string, value) => {
      if (typeof value !== 'number') return state;
      return state === '' ? String(value) : `${state},${value}`;
    },
    result: (state) => (state === '' ? null : median(state.split(',').map(Number))),
  });
  let lock = fileLocks.get(path);
  if (lock === undefined) {
    lock = new Mutex();
    fileLocks.set(path, lock);
  }
  return new SqliteDb(db, lock, new SocketLiveness(dataDir));
}

class SqliteDb implements Db {
  readonly dialect = dialect;
  readonly liveness: Liveness;
  readonly #db: DatabaseSync;
  readonly #lock: Mutex;
  readonly #statements = new Map<string, StatementSync>();
  /** Runs statements directly: for use while the lock is held. */
  readonly #direct: Queries;
  #closed = false;

  constructor(db: DatabaseSync, lock: Mutex, liveness: Liveness) {
    this.liveness = liveness;
    this.#db = db;
    this.#lock = lock;
    this.#direct = {
      all: (sql, params = []) => Promise.resolve(this.#all(sql, params)),
      run: (sql, params = []) => Promise.resolve(this.#run(sql, params)),
      exec: (script) => {
        this.#exec(script);
        return Promise.resolve();
      },
    };
  }

  all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.#lock.run(() => this.#all(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#lock.run(() => this.#run(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.#lock.run(() => {
      this.#exec(script);
    });
  }

  transaction<T>(fn: (tx: Queries) => Promise<T>): Promise<T> {
    return this.#lock.run(async () => {
      // IMMEDIATE takes the write lock now, not at the first write: two processes that both
      // read then write (count users, then insert) would otherwise both read "no users".
      this.#exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#direct);
        this.#exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.liveness.close();
    return this.#lock.run(() => {
      if (this.#closed) return;
      this.#closed = true;
      this.#statements.clear();
      this.#db.close();
    });
  }

  #all(sql: string, params: readonly SqlValue[]): Row[] {
    try {
      return this.#prepare(sql).all(...params);
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  #run(sql: string, params: readonly SqlValue[]): number {
    try {
      return Number(this.#prepare(sql).run(...params).changes);
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  #exec(script: string): void {
    try {
      this.#db.exec(script);
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  /** Statements are prepared once per SQL text and reused. */
  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(toSqlitePlaceholders(sql));
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/** `$1` (PostgreSQL) → `?1` (SQLite's numbered form): the queries are written once, for both. */
export function toSqlitePlaceholders(sql: string): string {
  return sql.replace(/\$(\d+)/g, '?$1');
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const middle = values.length >> 1;
  const upper = values[middle] ?? 0;
  return values.length % 2 === 1 ? upper : ((values[middle - 1] ?? 0) + upper) / 2;
}
