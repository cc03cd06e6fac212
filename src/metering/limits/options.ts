/** What both backends take, checked once when a `Counters` is made. */
import type { BudgetSource } from './types.ts';

export type LogFn = (msg: string, fields: Record<string, unknown>) => void;

export interface CountersOptions {
  /** Spent tokens and cost so far, read when a period's counter does not exist yet. */
  readonly budgetSource: BudgetSource;
  /**
   * How long a stream slot outlives the instance that holds it. Live leases are renewed every
   * third of this, so only a crashed instance's slots run out. Default 2 minutes.
   */
  readonly leaseMs?: number;
  readonly log?: LogFn;
  /**
   * The time for lease ends and renewals (admissions are given theirs). Default `Date.now`;
   * tests move it by hand.
   */
  readonly clock?: () => number;
}

export interface ResolvedOptions {
  readonly budgetSource: BudgetSource;
  readonly leaseMs: number;
  readonly log: LogFn;
  readonly clock: () => number;
}

export const DEFAULT_LEASE_MS = 120_000;

/** Renewing every leaseMs / 3 needs a few milliseconds to divide. */
const MIN_LEASE_MS = 30;

export function resolveOptions(options: CountersOptions): ResolvedOptions {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (!Number.isSafeInteger(leaseMs) || leaseMs < MIN_LEASE_MS) {
    throw new RangeError(
      `leaseMs must be a whole number of milliseconds, at least ${MIN_LEASE_MS}; got ${leaseMs}.`,
    );
  }
  return {
    budgetSource: options.budgetSource,
    leaseMs,
    log: options.log ?? (() => undefined),
    clock: options.clock ?? Date.now,
  };
}
