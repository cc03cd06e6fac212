/**
 * What a client is told when a limit refuses it, in OpenAI's codes (`rate_limit_exceeded`,
 * `insufficient_quota`) so SDKs react as they do to OpenAI itself: back off on the first, stop on
 * the second. `too_many_streams` is Sluice's own.
 */
import type { BudgetPeriod } from '../../store/types.ts';
import { periodEnd } from './periods.ts';
import type { Refusal, Subject } from './types.ts';

const PERIOD_ADJECTIVE: Record<BudgetPeriod, string> = {
  day: 'daily',
  month: 'monthly',
  total: 'total',
};

/** `now` is the time the refusal was made at, for the date a budget resets on. */
export function refusalMessage(refusal: Refusal, now: number): { code: string; message: string } {
  const { subject } = refusal;
  const who = `${subject.kind} ${subject.id}`;
  const limits = subject.limits;
  const retry = `Retry in ${refusal.retryAfterSeconds} s.`;
  switch (refusal.kind) {
    case 'rate': {
      const rate = refusal.limit === 'rpm' ? `${limits.rpm} requests` : `${limits.tpm} tokens`;
      return {
        code: 'rate_limit_exceeded',
        message: `Rate limit reached for ${who}: ${rate} per minute. ${retry}`,
      };
    }
    case 'streams':
      return {
        code: 'too_many_streams',
        message: `Too many concurrent requests for ${who}: at most ${limits.maxStreams} at once. Retry when one of them ends.`,
      };
    case 'budget':
      return {
        code: 'insufficient_quota',
        message: budgetMessage(subject, refusal.limit, who, now),
      };
  }
}

function budgetMessage(
  subject: Subject,
  limit: 'tokens' | 'cost',
  who: string,
  now: number,
): string {
  const { budgetPeriod, budgetTokens, budgetCost } = subject.limits;
  const budget =
    limit === 'tokens' ? `token budget of ${budgetTokens}` : `cost budget of ${budgetCost} USD`;
  const end = periodEnd(budgetPeriod, now);
  const resets =
    end === null ? 'it does not reset' : `it resets on ${new Date(end).toISOString().slice(0, 10)}`;
  return `The ${PERIOD_ADJECTIVE[budgetPeriod]} ${budget} for ${who} is used up; ${resets}.`;
}
