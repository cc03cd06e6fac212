/**
 * Which Sluice processes are alive, so that a later start can close the records a dead one left
 * incomplete — and only a dead one's, when several share PostgreSQL.
 *
 * - SQLite (one machine by nature): a process listens on a Unix socket beside the database
 *   file, named for its instance. Connecting tells alive from dead exactly: the kernel refuses
 *   the connection once the process is gone, however it died, and process ids being reused
 *   (pid 1 in every container) cannot fool it.
 * - PostgreSQL (several machines): a process holds a session advisory lock keyed by its
 *   instance on a connection of its own; the server releases it when that connection dies
 *   with the process. Another process asks by trying the lock in a transaction.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Client, ClientConfig } from 'pg';
import type { Queries } from './db.ts';
import { mapPostgresError } from './errors.ts';
import { loadPg } from './pg-module.ts';

export interface Liveness {
  /** Holds `instance` alive until `close`. */
  claim(instance: string): Promise<void>;
  alive(instance: string): Promise<boolean>;
  /**
   * Whether `instance`, which the caller saw die, is let go of within `waitMs`. A socket goes
   * with its process; a PostgreSQL lock only once the server's backend reads the closed
   * connection, which on a busy machine can come after the caller learns of the death.
   */
  released(instance: string, waitMs: number): Promise<boolean>;
  /** Forgets what a dead instance left behind (its socket file). */
  forget(instance: string): void;
  close(): Promise<void>;
}

/** Instance ids are ours (hex); anything else is refused before it reaches a path. */
function checked(instance: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(instance)) throw new Error(`bad instance id: ${instance}`);
  return instance;
}

/** Longest Unix socket path Linux takes is 107 bytes; beyond it, the abstract namespace. */
const MAX_SOCKET_PATH = 100;

export class SocketLiveness implements Liveness {
  readonly #dir: string;
  #server: Server | undefined;

  /** `dir`: the data directory, where the database file is. */
  constructor(dir: string) {
    this.#dir = join(dir, 'instances');
  }

  async claim(instance: string): Promise<void> {
    mkdirSync(this.#dir, { recursive: true });
    const path = this.#path(checked(instance));
    rmSync(path, { force: true });
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Exclusive: a worker of several (`--workers`) holds its socket itself, so it dies with
      // the worker rather than staying open in the primary, which shares listeners otherwise.
      server.listen({ path, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // It answers for this process; it must not keep the process running.
    server.unref();
    this.#server = server;
  }

  alive(instance: string): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createConnection(this.#path(checked(instance)));
      const done = (alive: boolean) => {
        socket.destroy();
        resolve(alive);
      };
      socket.setTimeout(2000, () => {
        done(true); // a process too busy to accept is not a dead one
      });
      socket.once('connect', () => {
        done(true);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        done(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT');
      });
    });
  }

  async released(instance: string): Promise<boolean> {
    return !(await this.alive(instance));
  }

  forget(instance: string): void {
    const path = this.#path(checked(instance));
    if (!path.startsWith('\0')) rmSync(path, { force: true });
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined)
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
  }

  #path(instance: string): string {
    const path = join(this.#dir, `${instance}.sock`);
    if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return path;
    const dir = createHash('sha256').update(this.#dir).digest('hex').slice(0, 16);
    return `\0sluice-${dir}-${instance}`;
  }
}

/** SQLSTATE of a lock wait that ran past `lock_timeout`. */
const LOCK_NOT_AVAILABLE = '55P03';

/** Hashed with the instance id into the lock's key, apart from the other advisory locks. */
const INSTANCE_LOCKS = 'sluice-instance:';

export class AdvisoryLiveness implements Liveness {
  readonly #config: ClientConfig;
  /** Runs one statement in a transaction (the lock is tried and released inside it). */
  readonly #inTransaction: <T>(fn: (tx: Queries) => Promise<T>) => Promise<T>;
  #client: Client | undefined;
  #instance: string | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    config: ClientConfig,
    inTransaction: <T>(fn: (tx: Queries) => Promise<T>) => Promise<T>,
  ) {
    this.#config = config;
    this.#inTransaction = inTransaction;
  }

  async claim(instance: string): Promise<void> {
    this.#instance = checked(instance);
    await this.#lock();
  }

  async alive(instance: string): Promise<boolean> {
    if (instance === this.#instance) return true;
    return this.#inTransaction(async (tx) => {
      const [row] = await tx.all('SELECT pg_try_advisory_xact_lock($1::bigint) AS free', [
        lockKey(checked(instance)),
      ]);
      return row?.free !== true;
    });
  }

  async released(instance: string, waitMs: number): Promise<boolean> {
    if (instance === this.#instance) return false;
    try {
      return await this.#inTransaction(async (tx) => {
        await tx.exec(`SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(waitMs))}`);
        await tx.all('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(checked(instance))]);
        return true;
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return false;
      throw error;
    }
  }

  forget(): void {
    // Nothing is left behind: the server dropped the lock with the connection.
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Connects and takes the lock; if the connection is lost later, does so again. */
  async #lock(): Promise<void> {
    const instance = this.#instance;
    if (instance === undefined || this.#closed) return;
    const client = new (loadPg().Client)(this.#config);
    const lost = () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.end().catch(() => undefined);
      this.#again();
    };
    client.on('error', lost);
    client.on('end', lost);
    this.#client = client;
    try {
      await client.connect();
      await client.query('SELECT pg_advisory_lock($1::bigint)', [lockKey(instance)]);
    } catch (error) {
      lost();
      throw mapPostgresError(error);
    }
  }

  /** Tries again in a second, and again after that, until the lock is held or `close`. */
  #again(): void {
    if (this.#closed) return;
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      // A failed try has scheduled the next one itself.
      this.#lock().catch(() => undefined);
    }, 1000);
    this.#retry.unref();
  }
}

/** A signed 64-bit key from the instance id, as text for a `::bigint` parameter. */
function lockKey(instance: string): string {
  const digest = createHash('sha256')
    .update(INSTANCE_LOCKS + instance)
    .digest();
  return digest.readBigInt64BE(0).toString();
}
