/** Reads the admit script's reply (see `lua/admit.lua`), refusing anything else it might be. */
import type { RefusedLimit } from './plan.ts';

export type AdmitReply =
  | { readonly kind: 'admitted' }
  | {
      readonly kind: 'refused';
      /** Index into the admission's plans. */
      readonly subject: number;
      readonly limit: RefusedLimit;
      readonly retryAfterSeconds: number;
    }
  /** Indexes of plans whose budget counter must be read from the usage store first. */
  | { readonly kind: 'missing'; readonly subjects: readonly number[] };

const LIMITS: readonly string[] = [
  'rpm',
  'tpm',
  'streams',
  'tokens',
  'cost',
  'tokens-held',
  'cost-held',
] satisfies RefusedLimit[];

function isLimit(value: unknown): value is RefusedLimit {
  return typeof value === 'string' && LIMITS.includes(value);
}

/** `undefined` when the reply is not one the script gives; `subjects` is how many were sent. */
export function parseAdmitReply(reply: unknown, subjects: number): AdmitReply | undefined {
  if (!Array.isArray(reply)) return undefined;
  const items: unknown[] = reply;
  const isIndex = (value: unknown): value is number =>
    typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= subjects;
  const [tag, ...rest] = items;
  if (tag === 1 && rest.length === 0) return { kind: 'admitted' };
  if (tag === 0) {
    const [subject, limit, retryAfterSeconds] = rest;
    if (!isIndex(subject) || !isLimit(limit) || typeof retryAfterSeconds !== 'number') {
      return undefined;
    }
    return { kind: 'refused', subject: subject - 1, limit, retryAfterSeconds };
  }
  if (tag === 2 && rest.length > 0 && rest.every(isIndex)) {
    return { kind: 'missing', subjects: rest.map((index) => index - 1) };
  }
  return undefined;
}
