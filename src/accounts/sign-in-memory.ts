/**
 * The sign-in throttle of a single instance, in memory, in bounded space. Accounts that exist are
 * counted by user id and never displaced (their number is the user table's); tried names that
 * are no account, and client addresses, live in tables of fixed capacity that displace unlocked
 * subjects first. See `login-throttle.ts` for why this holds every lock that matters.
 */
import type { LoginThrottle, SignInAttempt } from './login-throttle.ts';
import { refuseIfLocked, SIGN_IN_LIMITS, type SignInLimits } from './sign-in-limits.ts';
import { addressSubject, nameKey } from './sign-in-subjects.ts';
import { FailureWindows } from './sign-in-windows.ts';

export interface MemoryThrottleOptions extends Partial<SignInLimits> {
  /** The id of the user a name signs in as (any case), or undefined when it is no user's. */
  readonly userId: (username: string) => Promise<string | undefined>;
  /** Most names that are no account, and most addresses, remembered at once; default 50 000. */
  readonly capacity?: number;
  readonly now?: () => number;
}

/** Entries held, for tests and metrics: each stays within its bound however much is tried. */
export interface ThrottleSizes {
  readonly accounts: number;
  readonly unknownNames: number;
  readonly addresses: number;
}

export const DEFAULT_CAPACITY = 50_000;

export class MemoryLoginThrottle implements LoginThrottle {
  readonly #accounts: FailureWindows;
  readonly #unknownNames: FailureWindows;
  readonly #addresses: FailureWindows;
  readonly #userId: (username: string) => Promise<string | undefined>;
  readonly #now: () => number;

  constructor(options: MemoryThrottleOptions) {
    const { perAccount, perIp, windowMs } = { ...SIGN_IN_LIMITS, ...options };
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    this.#accounts = new FailureWindows({ limit: perAccount, windowMs });
    this.#unknownNames = new FailureWindows({ limit: perAccount, windowMs, capacity });
    this.#addresses = new FailureWindows({ limit: perIp, windowMs, capacity });
    this.#userId = options.userId;
    this.#now = options.now ?? Date.now;
  }

  get sizes(): ThrottleSizes {
    return {
      accounts: this.#accounts.size,
      unknownNames: this.#unknownNames.size,
      addresses: this.#addresses.size,
    };
  }

  async check(username: string, ip: string | null): Promise<SignInAttempt> {
    const id = await this.#userId(username);
    // Nothing below awaits: the test and the count are one step, so parallel guesses cannot all
    // pass the test before the first of them is counted.
    const now = this.#now();
    const hashed = nameKey(username); // hashed either way: the same work whether the user exists
    const [names, name] = id === undefined ? [this.#unknownNames, hashed] : [this.#accounts, id];
    const address = ip === null ? undefined : addressSubject(ip);
    refuseIfLocked(names.retryAfterMs(name, now), 'this account');
    if (address !== undefined) {
      refuseIfLocked(this.#addresses.retryAfterMs(address, now), 'your address');
    }
    names.add(name, now);
    if (address !== undefined) this.#addresses.add(address, now);
    return {
      succeeded: () => {
        names.clear(name);
        if (address !== undefined) this.#addresses.remove(address, now);
        return Promise.resolve();
      },
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
