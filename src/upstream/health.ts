/**
 * A circuit breaker, one per upstream and one per key. After `failures` consecutive failures
 * (connect errors, resets, timeouts, 5xx) it opens: requests skip it, at no round trip, for a
 * cooldown; then one request may try it (half-open) — success closes it, failure opens it again
 * for twice as long, up to `maxCooldownMs`. A 429 opens it at once until its `Retry-After` (at most `maxCooldownMs`)
 * (a rate-limited key will say no to the next request too). Time is read from `now`, so tests
 * drive it without timers.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open it (1–5). */
  readonly failures: number;
  readonly cooldownMs: number;
  readonly maxCooldownMs: number;
  readonly now: () => number;
}

export const DEFAULT_BREAKER: Omit<BreakerOptions, 'now'> = {
  failures: 3,
  cooldownMs: 30_000,
  maxCooldownMs: 5 * 60_000,
};

/** How a try went, as far as health is concerned. */
export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'failed' }
  /** Rate limited: skip until then (ms from now), whatever the count. */
  | { readonly kind: 'limited'; readonly retryAfterMs: number | undefined };

export class Health {
  readonly #o: BreakerOptions;
  #consecutive = 0;
  #openUntil = 0;
  #cooldownMs: number;
  /** A half-open probe is out: others keep skipping until it comes back. */
  #probing = false;
  /** Why it opened, for the log and the admin page. */
  reason: string | undefined;

  constructor(options: BreakerOptions) {
    this.#o = options;
    this.#cooldownMs = options.cooldownMs;
  }

  get state(): BreakerState {
    if (this.#openUntil === 0) return 'closed';
    return this.#o.now() < this.#openUntil || this.#probing ? 'open' : 'half-open';
  }

  /** When an open breaker lets a probe through (epoch ms), or 0 when closed. */
  get openUntil(): number {
    return this.#openUntil;
  }

  /** Whether a request may use it now; in half-open, the first asker becomes the probe. */
  admit(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    this.#probing = true;
    return true;
  }

  /** Lets a request through even while open: when everything is open, someone must try. */
  force(): void {
    if (this.#openUntil !== 0) this.#probing = true;
  }

  /** A try that ended without telling anything (the client left): the probe slot is free. */
  release(): void {
    this.#probing = false;
  }

  /** Returns the state change it caused, if any, for the log. */
  record(outcome: Outcome, why?: string): 'opened' | 'closed' | undefined {
    const wasOpen = this.#openUntil !== 0;
    this.#probing = false;
    if (outcome.kind === 'ok') {
      this.#consecutive = 0;
      this.#cooldownMs = this.#o.cooldownMs;
      this.#openUntil = 0;
      this.reason = undefined;
      return wasOpen ? 'closed' : undefined;
    }
    this.#consecutive++;
    const now = this.#o.now();
    if (outcome.kind === 'limited') {
      // A provider's Retry-After, up to the longest cooldown: one of years (a broken or hostile
      // answer) took a pooled key out of rotation for good.
      this.#openUntil =
        now + Math.min(outcome.retryAfterMs ?? this.#cooldownMs, this.#o.maxCooldownMs);
    } else if (wasOpen) {
      // The probe failed: longer this time.
      this.#cooldownMs = Math.min(this.#cooldownMs * 2, this.#o.maxCooldownMs);
      this.#openUntil = now + this.#cooldownMs;
    } else if (this.#consecutive >= this.#o.failures) {
      this.#openUntil = now + this.#cooldownMs;
    } else {
      return undefined;
    }
    this.reason = why;
    return wasOpen ? undefined : 'opened';
  }
}
