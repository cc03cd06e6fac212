/**
 * Sign-in attempts, throttled per account and per client address (issue #11, item 6): after 5
 * failures of an account, or 30 from one address (IPv6: one /64), in 15 minutes, attempts are
 * refused with a 429 until the oldest failure that holds the lock leaves the window.
 *
 * The guarantee: no amount of traffic clears or displaces a lock on an account that exists, and
 * memory stays bounded. (The old throttle kept one map and emptied it at 100 000 entries, so
 * 100 000 guesses at made-up names unlocked every account.) In memory (`sign-in-memory.ts`):
 * - Accounts that exist are counted by user id in a table that never displaces anything; it
 *   holds at most one entry of 5 times per user, so the user table bounds it.
 * - Names that are no account lock exactly as accounts do, with the same message and
 *   Retry-After, so when 429s appear tells nobody which names exist. They live in a table of
 *   50 000 that displaces unlocked names first: a lock there protects nothing. The one oracle
 *   left is the price of bounded memory: whoever holds 50 000 made-up names locked at once
 *   (250 000 failures in one window, from at least 8 334 addresses or /64s, given the address
 *   limit) can watch a made-up name's lock vanish where an account's would not.
 * - Addresses live in a table of 50 000 that displaces unlocked ones first, and only when all
 *   are locked the one locked longest ago: the account lock is what guards an account; the
 *   address lock slows one source.
 * With `REDIS_URL` (`sign-in-redis.ts`) every instance sharing the Redis enforces the same locks,
 * and a Redis that cannot answer makes sign-in a 503, never unthrottled. Keys expire a window
 * after their last failure and Sluice displaces none; Redis must not evict them either (a
 * `maxmemory-policy` other than `noeviction` could drop a lock, as it could a limit counter).
 *
 * An attempt counts as a failure from the moment it passes the check, in the same atomic step,
 * until its `succeeded()` takes it back: counting only after the password hash (tens of ms)
 * would let any number of parallel guesses pass the check before the first one is counted.
 * Time does not tell either: the memory throttle looks every name up, existing or not, and
 * `Accounts.checkPassword` hashes for unknown names too.
 */
import type { Logger } from '../log/index.ts';
import { MemoryLoginThrottle } from './sign-in-memory.ts';
import { RedisLoginThrottle } from './sign-in-redis.ts';

export interface LoginThrottle {
  /**
   * Refuses with a 429 (`TooManySignInAttemptsError`) if the account or the address is locked;
   * otherwise counts this attempt as a failure, in the same step, until the attempt's
   * `succeeded()` takes it back. A 503 if the throttle cannot be consulted: never skipped.
   */
  check(username: string, ip: string | null): Promise<SignInAttempt>;
  close(): Promise<void>;
}

export interface SignInAttempt {
  /** The password was right: forgets the account's failures, and this attempt's at the address. */
  succeeded(): Promise<void>;
}

export interface LoginThrottleOptions {
  /** Set: one throttle for every instance sharing this Redis. Unset: this instance's own. */
  readonly redisUrl: string | undefined;
  readonly keyPrefix: string;
  /** The id of the user a name signs in as, or undefined: how memory tells accounts apart. */
  readonly userId: (username: string) => Promise<string | undefined>;
  readonly log: Logger;
}

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  if (options.redisUrl === undefined) return new MemoryLoginThrottle({ userId: options.userId });
  return new RedisLoginThrottle({
    url: options.redisUrl,
    keyPrefix: options.keyPrefix,
    log: (message, fields) => {
      options.log.warn(message, fields);
    },
  });
}
