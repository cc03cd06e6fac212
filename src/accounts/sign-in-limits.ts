/** How many failed sign-ins an account and an address may have in a window, and the refusal. */
import { TooManySignInAttemptsError } from '../errors/index.ts';

export interface SignInLimits {
  /** Failures per account (or tried name) in the window. */
  readonly perAccount: number;
  /** Failures per client address (IPv6: per /64) in the window. */
  readonly perIp: number;
  readonly windowMs: number;
}

export const SIGN_IN_LIMITS: SignInLimits = {
  perAccount: 5,
  perIp: 30,
  windowMs: 15 * 60_000,
};

export type Locked = 'this account' | 'your address';

/** Throws the 429 when `retryMs` (until the subject may try again) is still ahead. */
export function refuseIfLocked(retryMs: number, who: Locked): void {
  if (retryMs <= 0) return;
  const retry = Math.max(1, Math.ceil(retryMs / 1000));
  throw new TooManySignInAttemptsError(
    `Too many failed sign-ins for ${who}; try again in ${retry} s.`,
    retry,
  );
}
