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
    }
  /**
   * What is left of the budget is held by requests in flight (their `Reserve`s); retry when
   * one of them ends.
   */
  | {
      readonly kind: 'held';
      readonly subject: Subject;
      readonly limit: 'tokens' | 'cost';
      readonly retryAfterSeconds: number;
    };

/**
 * What an admitted request is expected to use, held against the budgets of its subjects until
 * it ends and its real use is charged instead. A request is admitted while what its subjects
 * have spent plus what their requests in flight hold is under the budget, so a burst of
 * requests cannot all start on the budget's last cent.
 */
export interface Reserve {
  readonly tokens: number;
  readonly cost: number;
}

export const NO_RESERVE: Reserve = Object.freeze({ tokens: 0, cost: 0 });

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
   * request (rpm) and one stream slot on each, holds `reserve` against each budget, and returns
   * a lease; otherwise takes nothing and says which limit refused first.
   */
  admit(
    subjects: readonly Subject[],
    requestId: string,
    now: number,
    reserve?: Reserve,
  ): Promise<Admission>;
  close(): Promise<void>;
}
