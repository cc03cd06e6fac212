/**
 * Sign-in attempts, throttled per account and per client IP: after too many failures in a
 * window, further attempts are refused until the oldest failure leaves the window. In memory:
 * each instance throttles on its own, which bounds guessing per instance.
 */
import { TooManySignInAttemptsError } from '../errors/index.ts';

export interface ThrottleOptions {
  readonly perAccount?: number;
  readonly perIp?: number;
  readonly windowMs?: number;
  readonly now?: () => number;
}

export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();
  readonly #perAccount: number;
  readonly #perIp: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: ThrottleOptions = {}) {
    this.#perAccount = options.perAccount ?? 5;
    this.#perIp = options.perIp ?? 30;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Throws a 429 if this account or IP has failed too often lately. */
  check(username: string, ip: string | null): void {
    this.#refuseIfOver(`user:${username.toLowerCase()}`, this.#perAccount, 'this account');
    if (ip !== null) this.#refuseIfOver(`ip:${ip}`, this.#perIp, 'your address');
  }

  failed(username: string, ip: string | null): void {
    for (const key of [`user:${username.toLowerCase()}`, ...(ip === null ? [] : [`ip:${ip}`])]) {
      this.#recent(key).push(this.#now());
    }
    if (this.#failures.size > 100_000) this.#failures.clear(); // bounded memory under a flood
  }

  succeeded(username: string): void {
    this.#failures.delete(`user:${username.toLowerCase()}`);
  }

  #refuseIfOver(key: string, limit: number, who: string): void {
    const recent = this.#recent(key);
    if (recent.length < limit) return;
    const retry = Math.max(1, Math.ceil(((recent[0] ?? 0) + this.#windowMs - this.#now()) / 1000));
    throw new TooManySignInAttemptsError(
      `Too many failed sign-ins for ${who}; try again in ${retry} s.`,
      retry,
    );
  }

  #recent(key: string): number[] {
    const cutoff = this.#now() - this.#windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > cutoff);
    this.#failures.set(key, recent);
    return recent;
  }
}
