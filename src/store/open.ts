import type { Db } from './db.ts';
import { parseDatabaseUrl } from './database-url.ts';
import { openPostgresDb } from './postgres-db.ts';
import { SqlStore } from './sql-store.ts';
import { openSqliteDb } from './sqlite-db.ts';
import type { Store } from './types.ts';

export interface StoreOptions {
  /** Where the SQLite file `sluice.db` lives; created if missing. */
  readonly dataDir: string;
  /** A `postgres://` URL; when set, PostgreSQL is used instead of SQLite. */
  readonly databaseUrl?: string | undefined;
}

/** Opens the store and applies pending migrations: nothing reads a store it has not migrated. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const store = connectStore(options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}

/**
 * Opens the store without migrating it, for `sluice migrate`, which reports what it applies.
 * A malformed `databaseUrl` throws here, before any connection is tried.
 */
export function connectStore(options: StoreOptions): Store {
  const db: Db =
    options.databaseUrl === undefined || options.databaseUrl === ''
      ? openSqliteDb(options.dataDir)
      : openPostgresDb(parseDatabaseUrl(options.databaseUrl));
  return new SqlStore(db);
}
