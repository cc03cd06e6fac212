/** Too much, too fast: 429 with `Retry-After`. */
import { SluiceError } from './base.ts';

abstract class TooMany extends SluiceError {
  readonly status = 429;
  readonly kind = 'rate_limit';
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.headers = { 'retry-after': String(retryAfterSeconds) };
  }
}

export class RateLimitExceededError extends TooMany {
  readonly code = 'rate_limit_exceeded';
}

export class TooManyStreamsError extends TooMany {
  readonly code = 'too_many_streams';
}

/** A budget is used up; OpenAI's clients know this code (and its type, `insufficient_quota`). */
export class InsufficientQuotaError extends TooMany {
  readonly code = 'insufficient_quota';
}

/** What is left of a budget is held by the caller's requests in flight: retry when one ends. */
export class BudgetHeldError extends TooMany {
  readonly code = 'budget_held';
}

export class TooManySignInAttemptsError extends TooMany {
  readonly code = 'too_many_sign_in_attempts';
}

export class TooManyProbesError extends TooMany {
  readonly code = 'too_many_probes';
}
