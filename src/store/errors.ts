/**
 * Driver errors → the store's two failure kinds. `StoreUnavailableError` means "the store
 * itself failed; retry later" (readiness goes red, usage queues in memory), `ConflictError`
 * means a unique constraint refused the write. Anything else is a bug and passes unchanged.
 * The driver's error is always kept as `cause`.
 */
import { ConflictError, StoreUnavailableError } from '../errors/index.ts';

/** SQLite primary result codes (the low byte of an extended code), https://sqlite.org/rescode.html */
const SQLITE_UNAVAILABLE = new Set([
  5, // SQLITE_BUSY: another process held the lock past busy_timeout
  6, // SQLITE_LOCKED
  8, // SQLITE_READONLY
  10, // SQLITE_IOERR
  11, // SQLITE_CORRUPT
  13, // SQLITE_FULL
  14, // SQLITE_CANTOPEN
  15, // SQLITE_PROTOCOL
  26, // SQLITE_NOTADB
]);
const SQLITE_CONSTRAINT_UNIQUE = 2067;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;

export function mapSqliteError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const errcode = (error as { errcode?: unknown }).errcode;
  if (typeof errcode === 'number') {
    if (errcode === SQLITE_CONSTRAINT_UNIQUE || errcode === SQLITE_CONSTRAINT_PRIMARYKEY) {
      return new ConflictError(error.message, { cause: error });
    }
    if (SQLITE_UNAVAILABLE.has(errcode & 0xff)) {
      return new StoreUnavailableError(`SQLite: ${error.message}`, { cause: error });
    }
  }
  if (isSystemError(error)) {
    // mkdir or open of the data directory failed (EACCES, EROFS, ENOSPC…).
    return new StoreUnavailableError(`SQLite: ${error.message}`, { cause: error });
  }
  return error;
}

/** Network-level failures reaching PostgreSQL (Node system error codes). */
const PG_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * SQLSTATE classes and codes that mean the database cannot serve us now (or with these
 * credentials): https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
function isPgUnavailableState(state: string): boolean {
  return (
    state.startsWith('08') || // connection exception
    state.startsWith('53') || // insufficient resources (too many connections, disk full)
    state.startsWith('57P') || // 57P01 admin shutdown, 57P02 crash, 57P03 cannot connect now
    state.startsWith('28') || // invalid authorization (wrong password, no pg_hba entry)
    state === '3D000' // the database does not exist
  );
}

/** pg reports connection trouble with plain Errors; these are its messages. */
const PG_CONNECTION_MESSAGES = [
  'timeout expired',
  'Connection terminated',
  'connection timeout',
  'the database system is shutting down',
  'the database system is starting up',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
];

export function mapPostgresError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error instanceof StoreUnavailableError || error instanceof ConflictError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === '23505') return new ConflictError(error.message, { cause: error });
  const unavailable =
    (typeof code === 'string' && (PG_NETWORK_CODES.has(code) || isPgUnavailableState(code))) ||
    PG_CONNECTION_MESSAGES.some((m) => error.message.includes(m)) ||
    // Node's connect() with several addresses (localhost → ::1 and 127.0.0.1) rejects with an
    // AggregateError whose parts carry the codes.
    (error instanceof AggregateError && error.errors.some((e) => mapPostgresError(e) !== e));
  if (!unavailable) return error;
  const detail = error.message === '' && typeof code === 'string' ? code : error.message;
  return new StoreUnavailableError(`PostgreSQL: ${detail}`, { cause: error });
}

function isSystemError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
