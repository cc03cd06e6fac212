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
import { RedisConnection } from '../redis/index.ts';
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

export class RedisLoginThrottle implements LoginThrottle {
  readonly #limits: SignInLimits;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #redis: RedisConnection;

  constructor(options: RedisThrottleOptions) {
    this.#limits = { ...SIGN_IN_LIMITS, ...options };
    this.#prefix = `${options.keyPrefix}sign-in:`;
    this.#now = options.now ?? Date.now;
    this.#redis = new RedisConnection({
      url: options.url,
      purpose: 'sign-in throttle',
      log: options.log,
    });
  }

  async check(username: string, ip: string | null): Promise<SignInAttempt> {
    await this.#redis.ready();
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
      throw this.#redis.unavailable(`gave an unexpected sign-in reply: ${JSON.stringify(reply)}`);
    }
    if (who !== 'neither') refuseIfLocked(retryMs, who);
    return {
      succeeded: async () => {
        await this.#eval(SUCCEEDED, keys, [id]);
      },
    };
  }

  close(): Promise<void> {
    return this.#redis.close();
  }

  async #eval(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      // EVAL, not EVALSHA: sign-ins are rare, and Redis caches the compiled script anyway.
      return await this.#redis.client.sendCommand([
        'EVAL',
        script,
        String(keys.length),
        ...keys,
        ...args,
      ]);
    } catch (err) {
      throw this.#redis.unavailable(
        `failed: ${err instanceof Error ? err.message : String(err)}`,
        err,
      );
    }
  }
}

const WHO: readonly Locked[] = ['this account', 'your address'];
