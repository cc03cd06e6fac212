/**
 * What the commands on users, keys and usage share: the configuration, loaded as `serve` loads
 * it (environment, `--config FILE`, `--data-dir DIR`), and a store that is always closed.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Accounts } from '../accounts/index.ts';
import { type Config, loadConfig } from '../config/index.ts';
import { openStore, parseDatabaseUrl, type StoreOptions } from '../store/index.ts';
import { StoreUnavailableError } from '../errors/index.ts';
import type { Store } from '../store/types.ts';
import { CommandFailure, type CommandIO } from './command.ts';

export const STORE_OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

/** The arguments of a command that takes only the store flags and positionals. */
export function parseStoreArgs(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    options: STORE_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
}

export const STORE_HELP = `  --config FILE        JSON config file (SLUICE_CONFIG)
  --data-dir DIR       where Sluice keeps its data (SLUICE_DATA_DIR, default ./data)
  -h, --help           show this help`;

export const DATABASE_HELP = `The database is PostgreSQL when DATABASE_URL is set (postgres://user:pass@host:5432/dbname),
otherwise the SQLite file sluice.db in the data directory.`;

export interface StoreFlags {
  readonly config?: string | undefined;
  readonly 'data-dir'?: string | undefined;
}

export interface StoreContext {
  readonly config: Config;
  readonly store: Store;
  readonly accounts: Accounts;
  /** The database, as `describeDatabase` names it. */
  readonly database: string;
}

/** Throws `ConfigError` (exit 2) for a bad configuration, e.g. a malformed DATABASE_URL. */
function loadCliConfig(flags: StoreFlags, io: CommandIO): Config {
  return loadConfig({
    env: io.env,
    flags: {
      ...(flags['data-dir'] === undefined ? {} : { dataDir: flags['data-dir'] }),
      ...(flags.config === undefined ? {} : { config: flags.config }),
    },
  });
}

/** `SQLite /srv/data/sluice.db` or `PostgreSQL db.internal:5432/sluice`, never the password. */
function describeDatabase(config: Config): string {
  if (config.databaseUrl === undefined) return `SQLite ${join(config.dataDir, 'sluice.db')}`;
  const url = parseDatabaseUrl(config.databaseUrl);
  return `PostgreSQL ${url.host}${url.pathname}`;
}

/**
 * Opens the store (migrating it, unless `open` says otherwise), runs `work`, and closes the
 * store whatever happened. An unreachable store becomes a `CommandFailure` naming the database.
 */
export async function withStore<T>(
  flags: StoreFlags,
  io: CommandIO,
  work: (context: StoreContext) => Promise<T>,
  open: (options: StoreOptions) => Promise<Store> = openStore,
): Promise<T> {
  const config = loadCliConfig(flags, io);
  const where = describeDatabase(config);
  let store: Store;
  try {
    store = await open({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  } catch (error) {
    throw unavailable(error, where);
  }
  try {
    return await work({
      config,
      store,
      accounts: new Accounts(store, config.defaultLimits),
      database: where,
    });
  } catch (error) {
    throw unavailable(error, where);
  } finally {
    // The command's own outcome is what the user needs to see, not a failed close after it.
    await store.close().catch(() => undefined);
  }
}

function unavailable(error: unknown, where: string): unknown {
  if (!(error instanceof StoreUnavailableError)) return error;
  return new CommandFailure(`${error.message}\n(database: ${where})`, { cause: error });
}
