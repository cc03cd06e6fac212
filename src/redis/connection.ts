/**
 * One connection to Redis as Sluice's shared state needs it (limit counters, the sign-in
 * throttle): commands fail at once while disconnected — a request must not hang, and a queued
 * command would run with a stale `now` — the client reconnects in the background, an outage is
 * logged once, not once per retry, and the first use waits a little for the first connection.
 */
import { createRequire } from 'node:module';
import type * as Redis from '@redis/client';
import { CountersUnavailableError } from '../errors/index.ts';

/** A command waits this long for Redis, then the caller answers 503 rather than hang. */
const COMMAND_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** How long the first use after start-up waits for the first connection. */
const FIRST_CONNECT_WAIT_MS = 3_000;
const MAX_RECONNECT_DELAY_MS = 2_000;

export type RedisClient = ReturnType<typeof Redis.createClient>;

/** Loaded with the first connection: a process without REDIS_URL never reads the client. */
let redis: typeof Redis | undefined;

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  readonly url: string;
  /** What uses it, for log lines and errors: `limit counters`, `sign-in throttle`. */
  readonly purpose: string;
  readonly log: (message: string, fields: Record<string, unknown>) => void;
}

export class RedisConnection {
  readonly client: RedisClient;
  /** The URL without its password, for messages. */
  readonly where: string;
  readonly #purpose: string;
  readonly #firstConnection: Promise<boolean>;
  #state: 'connecting' | 'up' | 'down' = 'connecting';
  #everConnected = false;

  constructor(options: RedisConnectionOptions) {
    this.where = redactUrl(options.url);
    this.#purpose = options.purpose;
    redis ??= createRequire(import.meta.url)('@redis/client') as typeof Redis;
    this.client = redis.createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandOptions: { timeout: COMMAND_TIMEOUT_MS },
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
      },
    });
    this.client.on('error', (err: unknown) => {
      if (this.#state === 'down') return; // once per outage, not once per retry
      this.#state = 'down';
      options.log(`${this.#purpose}: Redis unreachable`, { redis: this.where, err });
    });
    this.client.on('ready', () => {
      if (this.#state === 'down')
        options.log(`${this.#purpose}: Redis reachable again`, { redis: this.where });
      this.#state = 'up';
      if (!this.#everConnected) void this.#checkEviction(options.log);
      this.#everConnected = true;
    });
    // Settles on the first attempt, whichever way it goes; the client keeps retrying after.
    this.#firstConnection = new Promise((resolve) => {
      this.client.once('ready', () => {
        resolve(true);
      });
      this.client.once('error', () => {
        resolve(false);
      });
    });
    // Rejects only if closed before it ever connected; the 'error' handler has logged why.
    this.client.connect().catch(() => undefined);
  }

  /**
   * Resolves once Redis has been reached; throws `CountersUnavailableError` (503) if the first
   * attempt failed or took more than a few seconds. Later outages are not waited for: commands
   * then fail at once.
   */
  async ready(): Promise<void> {
    if (this.#everConnected) return;
    // Already failed once: answer now rather than make every request wait out the retries.
    if (this.#state === 'down') throw this.unavailable('is not reachable');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, FIRST_CONNECT_WAIT_MS, false);
    });
    const connected = await Promise.race([this.#firstConnection, timedOut]);
    clearTimeout(timer);
    if (!connected) throw this.unavailable('is not reachable');
  }

  /**
   * A Redis with a memory limit and an eviction policy drops keys when full: Sluice's counters
   * and leases among them, and limits would then let through what they should refuse. Said once
   * at the first connection; a Redis that does not answer INFO (an ACL) is not asked again.
   */
  async #checkEviction(log: RedisConnectionOptions['log']): Promise<void> {
    let info: string;
    try {
      info = await this.client.info('memory');
    } catch {
      return;
    }
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    const policy = field('maxmemory_policy');
    const limit = Number(field('maxmemory') ?? '0');
    if (policy === undefined || policy === 'noeviction' || !(limit > 0)) return;
    log(
      `${this.#purpose}: Redis may evict Sluice's keys when full (maxmemory-policy ${policy}, maxmemory ${limit} bytes): what they count would be forgotten, and what should be refused let through; set maxmemory-policy noeviction`,
      { redis: this.where },
    );
  }

  /** The 503 for a Redis that failed at `what`. */
  unavailable(what: string, cause?: unknown): CountersUnavailableError {
    return new CountersUnavailableError(`Redis at ${this.where} (${this.#purpose}) ${what}.`, {
      cause,
    });
  }

  async close(): Promise<void> {
    if (!this.client.isOpen) return;
    // Destroying the client mid-connect leaks the socket it is opening: let the attempt settle.
    if (this.#state === 'connecting') await this.#firstConnection;
    if (this.client.isReady) await this.client.close();
    else this.client.destroy();
  }
}

/** The URL for logs and messages, without its password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}
