/**
 * The sign-in throttle in Redis, so every instance sharing it enforces the same locks. Each
 * subject (a tried name, an address) is a sorted set of its failure times under the configured
 * prefix; one Lua script tests and counts an attempt on both subjects, which Redis runs without
 * interleaving, so concurrent guesses on any number of instances cannot slip past the limit. Each
 * key expires a window after its newest failure: nothing outlives its use, and Redis holds no
 * more than the failures of one window. If Redis cannot answer, sign-in gets a 503 rather than
 * go unthrottled.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from '@redis/client';
import { CountersUnavailableError } from '../errors/index.ts';
import type { LoginThrottle, SignInAttempt } from './login-throttle.ts';
import {
  type Locked,
  refuseIfLocked,
  SIGN_IN_LIMITS,
  type SignInLimits,
} from './sign-in-limits.ts';
import { addressSubject, nameKey } from './sign-in-subjects.ts';

export interface RedisThrottleOptions extends Partial<SignInLimits> {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  readonly url: string;
  /** Put before every key, as for the limit counters (`SLUICE_REDIS_PREFIX`). */
  readonly keyPrefix: string;
  readonly log: (message: string, fields: Record<string, unknown>) => void;
  readonly now?: () => number;
}

/**
 * KEYS: the account's set, then the address's (if any). ARGV: now, window (ms), the limit of
 * each key in order, this attempt's id. Drops failures that left the window; refuses with
 * {key index, ms until it may try} if a key is at its limit; else counts the attempt on each key.
 */
const CHECK = `
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 + i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    return { i, tonumber(oldest[2]) + window - now }
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[#KEYS + 3])
  redis.call('PEXPIRE', key, window)
end
return { 0, 0 }
`;

/** KEYS: the account's set, then the address's (if any). ARGV: the attempt's id. */
const SUCCEEDED = `
redis.call('DEL', KEYS[1])
if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[1]) end
return 0
`;

const COMMAND_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** How long the first attempt after start-up waits for the first connection. */
const FIRST_CONNECT_WAIT_MS = 3_000;
const MAX_RECONNECT_DELAY_MS = 2_000;

type Client = ReturnType<typeof createClient>;

export class RedisLoginThrottle implements LoginThrottle {
  readonly #limits: SignInLimits;
  readonly #prefix: string;
  readonly #where: string;
  readonly #log: RedisThrottleOptions['log'];
  readonly #now: () => number;
  readonly #client: Client;
  readonly #firstConnection: Promise<boolean>;
  #connection: 'connecting' | 'up' | 'down' = 'connecting';
  #everConnected = false;

  constructor(options: RedisThrottleOptions) {
    this.#limits = { ...SIGN_IN_LIMITS, ...options };
    this.#prefix = `${options.keyPrefix}sign-in:`;
    this.#where = redactUrl(options.url);
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#client = createClient({
      url: options.url,
      // Fail at once while disconnected rather than queue: an attempt must not hang, and a
      // queued one would run with a stale `now`.
      disableOfflineQueue: true,
      commandOptions: { timeout: COMMAND_TIMEOUT_MS },
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
      },
    });
    this.#client.on('error', (err: unknown) => {
      if (this.#connection === 'down') return; // once per outage, not once per retry
      this.#connection = 'down';
      this.#log('sign-in throttle: Redis unreachable', { redis: this.#where, err });
    });
    this.#client.on('ready', () => {
      if (this.#connection === 'down') {
        this.#log('sign-in throttle: Redis reachable again', { redis: this.#where });
      }
      this.#connection = 'up';
      this.#everConnected = true;
    });
    this.#firstConnection = new Promise((resolve) => {
      this.#client.once('ready', () => {
        resolve(true);
      });
      this.#client.once('error', () => {
        resolve(false);
      });
    });
    // Rejects only if closed before it ever connected; the 'error' handler has logged why.
    this.#client.connect().catch(() => undefined);
  }

  async check(username: string, ip: string | null): Promise<SignInAttempt> {
    await this.#ready();
    const account = `${this.#prefix}account:${nameKey(username)}`;
    const keys = [account];
    const limits = [this.#limits.perAccount];
    if (ip !== null) {
      keys.push(`${this.#prefix}address:${addressSubject(ip)}`);
      limits.push(this.#limits.perIp);
    }
    const id = randomBytes(12).toString('base64url');
    const now = String(this.#now());
    const reply = await this.#eval(CHECK, keys, [
      now,
      String(this.#limits.windowMs),
      ...limits.map(String),
      id,
    ]);
    const [locked, retryMs] = Array.isArray(reply) ? (reply as unknown[]) : [];
    const who = locked === 0 ? 'neither' : WHO[Number(locked) - 1];
    if (who === undefined || typeof retryMs !== 'number') {
      throw this.#unavailable(`gave an unexpected sign-in reply: ${JSON.stringify(reply)}`);
    }
    if (who !== 'neither') refuseIfLocked(retryMs, who);
    return {
      succeeded: async () => {
        await this.#eval(SUCCEEDED, keys, [id]);
      },
    };
  }

  async close(): Promise<void> {
    if (!this.#client.isOpen) return;
    // Destroying the client mid-connect leaks the socket it is opening: let the attempt settle.
    if (this.#connection === 'connecting') await this.#firstConnection;
    if (this.#client.isReady) {
      await this.#client.close();
    } else {
      this.#client.destroy();
    }
  }

  /** Resolves once Redis has been reached; a 503 if the first attempt failed or is slow. */
  async #ready(): Promise<void> {
    if (this.#everConnected) return;
    if (this.#connection === 'down') throw this.#unavailable('is not reachable');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, FIRST_CONNECT_WAIT_MS, false);
    });
    const connected = await Promise.race([this.#firstConnection, timedOut]);
    clearTimeout(timer);
    if (!connected) throw this.#unavailable('is not reachable');
  }

  async #eval(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      // EVAL, not EVALSHA: sign-ins are rare, and Redis caches the compiled script anyway.
      return await this.#client.sendCommand([
        'EVAL',
        script,
        String(keys.length),
        ...keys,
        ...args,
      ]);
    } catch (err) {
      throw this.#unavailable(`failed: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }

  #unavailable(what: string, cause?: unknown): CountersUnavailableError {
    return new CountersUnavailableError(`Redis at ${this.#where} (sign-in throttle) ${what}.`, {
      cause,
    });
  }
}

const WHO: readonly Locked[] = ['this account', 'your address'];

/** The URL for logs and messages, without its password. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}
