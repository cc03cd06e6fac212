/**
 * What a client is told when a limit refuses it, in OpenAI's codes (`rate_limit_exceeded`,
 * `insufficient_quota`) so SDKs react as they do to OpenAI itself: back off on the first, stop on
 * the second. `too_many_streams` and `budget_held` are Sluice's own: back off, as for the first.
 */
import type { BudgetPeriod } from '../../store/types.ts';
import { periodEnd } from './periods.ts';
import type { Refusal, Subject } from './types.ts';

export type RefusalCode =
  'rate_limit_exceeded' | 'too_many_streams' | 'insufficient_quota' | 'budget_held';

const PERIOD_ADJECTIVE: Record<BudgetPeriod, string> = {
  day: 'daily',
  month: 'monthly',
  total: 'total',
};

/**
 * `who` names the subject to its caller (`key sk-sluice-ab…`, `user "ada"`); `now` is the time
 * the refusal was made at, for the date a budget resets on.
 */
export function refusalMessage(
  refusal: Refusal,
  who: string,
  now: number,
): { code: RefusalCode; message: string } {
  const limits = refusal.subject.limits;
  const retry = `Retry in ${refusal.retryAfterSeconds} s.`;
  switch (refusal.kind) {
    case 'rate': {
      const rate =
        refusal.limit === 'rpm' ? `${limits.rpm ?? 0} requests` : `${limits.tpm ?? 0} tokens`;
      return {
        code: 'rate_limit_exceeded',
        message: `Rate limit reached for ${who}: ${rate} per minute. ${retry}`,
      };
    }
    case 'streams':
      return {
        code: 'too_many_streams',
        message: `Concurrency limit reached for ${who}: ${limits.maxStreams ?? 0} requests at once. ${retry}`,
      };
    case 'budget': {
      const end = periodEnd(limits.budgetPeriod, now);
      const resets =
        end === null
          ? 'it does not reset'
          : `it resets on ${new Date(end).toISOString().slice(0, 10)}`;
      return {
        code: 'insufficient_quota',
        message: `You exceeded your current quota: the ${budgetOf(refusal.subject, refusal.limit)} for ${who} is used up; ${resets}.`,
      };
    }
    case 'held':
      return {
        code: 'budget_held',
        message: `What is left of the ${budgetOf(refusal.subject, refusal.limit)} for ${who} is held by its requests in flight. Retry when one of them ends.`,
      };
  }
}

function budgetOf(subject: Subject, limit: 'tokens' | 'cost'): string {
  const { budgetPeriod, budgetTokens, budgetCost } = subject.limits;
  const amount =
    limit === 'tokens'
      ? `token budget of ${budgetTokens ?? 0}`
      : `cost budget of $${budgetCost ?? 0}`;
  return `${PERIOD_ADJECTIVE[budgetPeriod]} ${amount}`;
}
