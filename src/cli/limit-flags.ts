/** Limits on the command line: the same six flags for users and keys, and a short description. */
import type { BudgetPeriod, Limits } from '../store/types.ts';
import { UsageError } from './command.ts';

export const LIMIT_OPTIONS = {
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  'max-streams': { type: 'string' },
  'budget-tokens': { type: 'string' },
  'budget-cost': { type: 'string' },
  'budget-period': { type: 'string' },
} as const;

export const LIMIT_HELP = `  --rpm N              requests per minute
  --tpm N              tokens (prompt + completion) per minute
  --max-streams N      requests open at once
  --budget-tokens N    tokens per budget period
  --budget-cost USD    cost per budget period, e.g. 2.50
  --budget-period P    day | month | total (UTC calendar periods; total never resets)
  A limit given as "none" is removed; 0 is refused (disable the user or revoke the key).`;

export type LimitFlags = { readonly [K in keyof typeof LIMIT_OPTIONS]?: string | undefined };

const NUMBER_FLAGS = [
  ['rpm', 'rpm', true],
  ['tpm', 'tpm', true],
  ['max-streams', 'maxStreams', true],
  ['budget-tokens', 'budgetTokens', true],
  ['budget-cost', 'budgetCost', false],
] as const;
const PERIODS: readonly BudgetPeriod[] = ['day', 'month', 'total'];

/** The flags given, merged over `base`; `undefined` when no limit flag was given at all. */
export function limitsFromFlags(flags: LimitFlags, base: Limits): Limits | undefined {
  if (Object.keys(LIMIT_OPTIONS).every((name) => flags[name as keyof LimitFlags] === undefined)) {
    return undefined;
  }
  const limits: { -readonly [K in keyof Limits]: Limits[K] } = { ...base };
  for (const [flag, key, whole] of NUMBER_FLAGS) {
    const text = flags[flag];
    if (text !== undefined) limits[key] = limitValue(flag, text, whole);
  }
  const period = flags['budget-period'];
  if (period !== undefined) {
    if (!PERIODS.includes(period as BudgetPeriod)) {
      throw new UsageError(`--budget-period takes day, month or total; got "${period}"`);
    }
    limits.budgetPeriod = period as BudgetPeriod;
  }
  return limits;
}

function limitValue(flag: string, text: string, whole: boolean): number | null {
  if (text === 'none') return null;
  const value = Number(text);
  const valid =
    /^\d+(\.\d+)?$/.test(text) &&
    value > 0 &&
    Number.isFinite(value) &&
    (!whole || Number.isSafeInteger(value));
  if (valid) return value;
  const form = whole ? `a whole number from 1 to ${Number.MAX_SAFE_INTEGER}` : 'a number above 0';
  throw new UsageError(`--${flag} takes ${form}, or "none"; got "${text}"`);
}

/** `rpm 60, streams 4, $5/month`, or `none`. */
export function describeLimits(limits: Limits): string {
  const per = limits.budgetPeriod === 'total' ? ' in total' : `/${limits.budgetPeriod}`;
  const parts = [
    limits.rpm === null ? undefined : `rpm ${limits.rpm}`,
    limits.tpm === null ? undefined : `tpm ${limits.tpm}`,
    limits.maxStreams === null ? undefined : `streams ${limits.maxStreams}`,
    limits.budgetTokens === null ? undefined : `${limits.budgetTokens} tokens${per}`,
    limits.budgetCost === null ? undefined : `$${limits.budgetCost}${per}`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? 'none' : parts.join(', ');
}
