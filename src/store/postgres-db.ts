/**
 * `Db` over a pg Pool. Transactions run on one checked-out client; everything else on
 * whichever client the pool hands out.
 */
import type { Pool, PoolClient } from 'pg';
import { loadPg } from './pg-module.ts';
import type { Db, Dialect, LockName, Queries, Row, SqlValue } from './db.ts';
import { mapPostgresError } from './errors.ts';
import { AdvisoryLiveness, type Liveness } from './liveness.ts';

const dialect: Dialect = {
  kind: 'postgres',
  startedDay: `to_char(to_timestamp(started_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  median: (column) => `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${column})`,
};

/** First key of pg_advisory_xact_lock(int4, int4): "Slu" + 'i', the second names the lock. */
const LOCK_NAMESPACE = 0x536c7569;
const LOCK_KEYS: Record<LockName, number> = { migrations: 1, users: 2 };

const CONNECT_TIMEOUT_MS = 5_000;

/** OIDs from pg_type: int8 (bigint, count(*)) and numeric (sum of bigint). */
const INT8_OID = 20;
const NUMERIC_OID = 1700;

export function openPostgresDb(url: URL): Db {
  const { Pool, TypeOverrides } = loadPg();
  // Per-pool parsers: the global pg.types would change every other pool in the process.
  // Our BIGINTs are epoch ms, token counts and byte counts, all far below 2^53.
  const types = new TypeOverrides();
  types.setTypeParser(INT8_OID, Number);
  types.setTypeParser(NUMERIC_OID, Number);
  const config = {
    connectionString: url.href,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Names the connections in pg_stat_activity.
    application_name: 'sluice',
    types,
  };
  const pool = new Pool(config);
  // An idle client whose server went away emits 'error' on the pool; unheard, that would
  // crash the process. The pool drops the client, and the next query reports the outage.
  pool.on('error', () => undefined);
  return new PostgresDb(pool, config);
}

class PostgresDb implements Db {
  readonly dialect = dialect;
  readonly liveness: Liveness;
  readonly #pool: Pool;
  #closed = false;

  constructor(pool: Pool, config: ConstructorParameters<typeof Pool>[0]) {
    this.#pool = pool;
    this.liveness = new AdvisoryLiveness(config ?? {}, (fn) => this.transaction(fn));
  }

  all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return all(this.#pool, sql, params);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return run(this.#pool, sql, params);
  }

  exec(script: string): Promise<void> {
    return exec(this.#pool, script);
  }

  async transaction<T>(fn: (tx: Queries) => Promise<T>, lock?: LockName): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw mapPostgresError(error);
    }
    // A checked-out client has no pool listener: without ours, a server that dies while
    // this transaction waits between statements would crash the process.
    const onError = (): undefined => undefined;
    client.on('error', onError);
    let broken: unknown;
    try {
      await exec(client, 'BEGIN');
      if (lock !== undefined) {
        await run(client, 'SELECT pg_advisory_xact_lock($1, $2)', [
          LOCK_NAMESPACE,
          LOCK_KEYS[lock],
        ]);
      }
      const result = await fn({
        all: (sql, params = []) => all(client, sql, params),
        run: (sql, params = []) => run(client, sql, params),
        exec: (script) => exec(client, script),
      });
      await exec(client, 'COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is gone: hand it back as broken so the pool does not reuse it.
        broken = rollbackError;
      }
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.liveness.close();
    await this.#pool.end();
  }
}

/** What both a Pool and a checked-out client can do. */
type Queryable = Pick<PoolClient, 'query'>;

async function all(on: Queryable, sql: string, params: readonly SqlValue[]): Promise<Row[]> {
  try {
    const result = await on.query<Row>(sql, [...params]);
    return result.rows;
  } catch (error) {
    throw mapPostgresError(error);
  }
}

async function run(on: Queryable, sql: string, params: readonly SqlValue[]): Promise<number> {
  try {
    const result = await on.query(sql, [...params]);
    return result.rowCount ?? 0;
  } catch (error) {
    throw mapPostgresError(error);
  }
}

/** Without parameters pg uses the simple query protocol, which accepts several statements. */
async function exec(on: Queryable, script: string): Promise<void> {
  try {
    await on.query(script);
  } catch (error) {
    throw mapPostgresError(error);
  }
}
