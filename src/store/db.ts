/**
 * The narrow SQL interface both backends implement. Everything above it (`sql-store.ts`,
 * `usage.ts`, `migrate.ts`) is written once, in SQL both engines accept, with `$1, $2`
 * placeholders; the few places where the engines disagree are the `Dialect` fragments.
 */

import type { Liveness } from './liveness.ts';

/** What a placeholder may carry. Booleans are stored as 0/1, JSON as text. */
export type SqlValue = string | number | null;

export type Row = Readonly<Record<string, unknown>>;

export interface Dialect {
  readonly kind: 'sqlite' | 'postgres';
  /** SQL for the UTC calendar day (`YYYY-MM-DD`) of the epoch-ms column `started_at`. */
  readonly startedDay: string;
  /** SQL for the median of a numeric column over a group, nulls ignored. */
  median(column: string): string;
}

/** Locks that a transaction can take so that concurrent writers queue behind each other. */
export type LockName = 'migrations' | 'users';

export interface Queries {
  /** The rows of one statement. */
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Runs one statement; returns how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface Db extends Queries {
  readonly dialect: Dialect;
  /** Which Sluice processes using this database are alive (`liveness.ts`). */
  readonly liveness: Liveness;
  /**
   * All or nothing. With `lock`, the transaction first takes that lock and holds it until it
   * ends, across processes (SQLite: `BEGIN IMMEDIATE` always holds the one write lock).
   */
  transaction<T>(fn: (tx: Queries) => Promise<T>, lock?: LockName): Promise<T>;
  close(): Promise<void>;
}
