/**
 * Rate limits, concurrency limits and budgets, per API key and per user. The counters live in
 * memory on one instance, or in Redis (REDIS_URL) so several instances enforce one global limit.
 */
import type { Limits } from '../../store/types.ts';

/** Whose counters: a key and its owner are checked together, each against its own limits. */
export interface Subject {
  readonly kind: 'key' | 'user';
  readonly id: string;
  readonly limits: Limits;
}

export type Refusal =
  /** Requests per minute or tokens per minute exhausted. */
  | {
      readonly kind: 'rate';
      readonly subject: Subject;
      readonly limit: 'rpm' | 'tpm';
      readonly retryAfterSeconds: number;
    }
  /** As many streams open as allowed. */
  | { readonly kind: 'streams'; readonly subject: Subject; readonly retryAfterSeconds: number }
  /** The period's token or cost budget is spent; retry when the period turns. */
  | {
      readonly kind: 'budget';
      readonly subject: Subject;
      readonly limit: 'tokens' | 'cost';
      readonly retryAfterSeconds: number;
    };

export type Admission =
  { readonly ok: true; readonly lease: Lease } | { readonly ok: false; readonly refusal: Refusal };

/** What an admitted request holds until it ends. */
export interface Lease {
  /**
   * The request ended: free its stream slot, and charge what it used to the tokens-per-minute
   * window and the budget. Idempotent; never throws (a counter failure is logged by the caller's
   * implementation, it must not lose the caller's record).
   */
  end(used: { readonly tokens: number; readonly cost: number | null }): Promise<void>;
}

/** How much of a budget a subject has already used this period, from the usage store. */
export type BudgetSource = (
  subject: Subject,
  periodStart: number,
) => Promise<{ tokens: number; cost: number }>;

export interface Counters {
  /**
   * Atomically checks every limit of every subject at `now` (epoch ms). If all pass, takes one
   * request (rpm) and one stream slot on each and returns a lease; otherwise takes nothing and
   * says which limit refused first.
   */
  admit(subjects: readonly Subject[], requestId: string, now: number): Promise<Admission>;
  close(): Promise<void>;
}
