/** Budget periods: `day` and `month` are UTC calendar periods, `total` runs from epoch 0. */
import type { BudgetPeriod } from '../../store/types.ts';

const DAY_MS = 86_400_000;

/** What a refusal of a `total` budget says to wait: it never resets, so a day is as good as any. */
export const TOTAL_RETRY_AFTER_SECONDS = 86_400;

/** A `total` counter is only a cache of the usage store: drop it after a month unused. */
const TOTAL_COUNTER_TTL_MS = 30 * DAY_MS;

/** Keep a period's counter a while past its end, for requests admitted just before the turn. */
const COUNTER_GRACE_MS = 3_600_000;

export function periodStart(period: BudgetPeriod, now: number): number {
  if (period === 'total') return 0;
  const date = new Date(now);
  if (period === 'day') {
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  }
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** When the period containing `now` ends; `null` for `total`. */
export function periodEnd(period: BudgetPeriod, now: number): number | null {
  if (period === 'total') return null;
  if (period === 'day') return periodStart('day', now) + DAY_MS;
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

export function budgetRetryAfterSeconds(period: BudgetPeriod, now: number): number {
  const end = periodEnd(period, now);
  if (end === null) return TOTAL_RETRY_AFTER_SECONDS;
  return Math.max(1, Math.ceil((end - now) / 1000));
}

/** How long a spent counter for the period ending at `end` is worth keeping, from `now`. */
export function counterLifetimeMs(end: number | null, now: number): number {
  if (end === null) return TOTAL_COUNTER_TTL_MS;
  return Math.max(1, end - now + COUNTER_GRACE_MS);
}
