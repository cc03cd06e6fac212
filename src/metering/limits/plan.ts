/**
 * What an admission has to check for each subject, decided once from its limits: null limits
 * drop out here, so neither backend touches a counter for them, and a subject with no limits at
 * all drops out entirely. Counter names are shared too (Redis prefixes them).
 */
import type { BudgetPeriod } from '../../store/types.ts';
import { usableRate } from './cell-rate.ts';
import { budgetRetryAfterSeconds, periodEnd, periodStart } from './periods.ts';
import type { Refusal, Subject } from './types.ts';

export interface BudgetPlan {
  readonly period: BudgetPeriod;
  readonly start: number;
  readonly end: number | null;
  readonly tokens: number | null;
  readonly cost: number | null;
}

export interface SubjectPlan {
  readonly subject: Subject;
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly maxStreams: number | null;
  readonly budget: BudgetPlan | null;
  readonly keys: CounterKeys;
}

export interface CounterKeys {
  readonly rpm: string;
  readonly tpm: string;
  readonly streams: string;
  readonly budget: string;
  /** What the subject's requests in flight hold of its budget (`Reserve`), one entry each. */
  readonly held: string;
  /** Their sum, kept as holds come and go (Redis; memory keeps the entries only). */
  readonly heldSum: string;
}

/** Which limit refused, as the backends report it before it becomes a `Refusal`. */
export type RefusedLimit =
  'rpm' | 'tpm' | 'streams' | 'tokens' | 'cost' | 'tokens-held' | 'cost-held';

/**
 * Retry hint for a full set of streams or a budget held by requests in flight: leases are
 * renewed, so no expiry time says more.
 */
const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;

export function planAdmission(subjects: readonly Subject[], now: number): SubjectPlan[] {
  // Counters store whole milliseconds; a fractional `now` is a caller's bug, not a time.
  if (!Number.isSafeInteger(now)) {
    throw new RangeError(`now must be whole epoch milliseconds, e.g. Date.now(); got ${now}.`);
  }
  const plans: SubjectPlan[] = [];
  for (const subject of subjects) {
    const { limits } = subject;
    const budget =
      limits.budgetTokens === null && limits.budgetCost === null
        ? null
        : {
            period: limits.budgetPeriod,
            start: periodStart(limits.budgetPeriod, now),
            end: periodEnd(limits.budgetPeriod, now),
            tokens: limits.budgetTokens,
            cost: limits.budgetCost,
          };
    const plan: SubjectPlan = {
      subject,
      rpm: limits.rpm === null ? null : usableRate(limits.rpm),
      tpm: limits.tpm === null ? null : usableRate(limits.tpm),
      maxStreams: limits.maxStreams,
      budget,
      keys: counterKeys(subject, budget),
    };
    if (plan.rpm !== null || plan.tpm !== null || plan.maxStreams !== null || budget !== null) {
      plans.push(plan);
    }
  }
  return plans;
}

function counterKeys(subject: Subject, budget: BudgetPlan | null): CounterKeys {
  const who = `${subject.kind}:${subject.id}`;
  // The period start is in the name, so a new period starts a new counter by itself.
  const period = budget === null ? 'none' : `${budget.period}:${budget.start}`;
  return {
    rpm: `rpm:${who}`,
    tpm: `tpm:${who}`,
    streams: `streams:${who}`,
    budget: `budget:${period}:${who}`,
    held: `held:${who}`,
    heldSum: `held-sum:${who}`,
  };
}

export function toRefusal(
  plan: SubjectPlan,
  limit: RefusedLimit,
  retryAfterSeconds: number,
  now: number,
): Refusal {
  const { subject } = plan;
  switch (limit) {
    case 'rpm':
    case 'tpm':
      return { kind: 'rate', subject, limit, retryAfterSeconds };
    case 'streams':
      return { kind: 'streams', subject, retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS };
    case 'tokens-held':
    case 'cost-held':
      return {
        kind: 'held',
        subject,
        limit: limit === 'tokens-held' ? 'tokens' : 'cost',
        retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS,
      };
    case 'tokens':
    case 'cost':
      return {
        kind: 'budget',
        subject,
        limit,
        retryAfterSeconds: budgetRetryAfterSeconds(subject.limits.budgetPeriod, now),
      };
  }
}

/** Dollars as a finite, non-negative number. */
export function money(cost: number): number {
  return Number.isFinite(cost) && cost > 0 ? cost : 0;
}

/** Tokens as whole, non-negative cells. */
export function wholeTokens(tokens: number): number {
  return Number.isFinite(tokens) && tokens > 0 ? Math.round(tokens) : 0;
}
