/**
 * The sign-in throttle shared by the workers of one Sluice (`--workers`) when it lives in
 * memory (no REDIS_URL): one `MemoryLoginThrottle` in the primary, asked by every worker, so
 * an account locks after 5 failures whichever workers they reached — not after 5 per worker.
 * As in one process, an attempt counts as a failure from its check until its `succeeded()`.
 */
import type { LoginThrottle, SignInAttempt } from '../accounts/index.ts';
import { TooManySignInAttemptsError } from '../errors/index.ts';

export type SignInCall =
  | { readonly op: 'check'; readonly username: string; readonly ip: string | null }
  | { readonly op: 'succeeded'; readonly attempt: number };

export type SignInAnswer =
  | { readonly ok: true; readonly attempt: number }
  | { readonly ok: false; readonly message: string; readonly retryAfterSeconds: number };

/** A worker's throttle: every check and success asked of the primary. */
export class RemoteLoginThrottle implements LoginThrottle {
  readonly #send: (call: SignInCall) => Promise<unknown>;

  constructor(send: (call: SignInCall) => Promise<unknown>) {
    this.#send = send;
  }

  async check(username: string, ip: string | null): Promise<SignInAttempt> {
    const answer = (await this.#send({ op: 'check', username, ip })) as SignInAnswer;
    if (!answer.ok) throw new TooManySignInAttemptsError(answer.message, answer.retryAfterSeconds);
    return {
      succeeded: async () => {
        await this.#send({ op: 'succeeded', attempt: answer.attempt });
      },
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * An attempt whose password was wrong never reports back: it stays a failure, as it should,
 * and the host forgets it after this long (a password check takes tens of milliseconds).
 */
const ATTEMPT_MS = 60_000;

/** The primary's end: answers the workers' calls with its own throttle. */
export class SignInHost {
  readonly #throttle: LoginThrottle;
  /** Attempts not yet known to have succeeded, oldest first. */
  readonly #attempts = new Map<
    number,
    { readonly owner: string; readonly at: number; readonly attempt: SignInAttempt }
  >();
  readonly #now: () => number;
  #next = 1;

  constructor(throttle: LoginThrottle, now: () => number = Date.now) {
    this.#throttle = throttle;
    this.#now = now;
  }

  async serve(owner: string, call: SignInCall): Promise<SignInAnswer | null> {
    const now = this.#now();
    for (const [id, held] of this.#attempts) {
      if (now - held.at < ATTEMPT_MS) break;
      this.#attempts.delete(id);
    }
    if (call.op === 'succeeded') {
      const held = this.#attempts.get(call.attempt);
      if (held?.owner !== owner) return null;
      this.#attempts.delete(call.attempt);
      await held.attempt.succeeded();
      return null;
    }
    try {
      const attempt = await this.#throttle.check(call.username, call.ip);
      const id = this.#next++;
      this.#attempts.set(id, { owner, at: now, attempt });
      return { ok: true, attempt: id };
    } catch (error) {
      if (!(error instanceof TooManySignInAttemptsError)) throw error;
      const retryAfterSeconds = Number(error.headers?.['retry-after'] ?? 1);
      return { ok: false, message: error.message, retryAfterSeconds };
    }
  }

  close(): Promise<void> {
    return this.#throttle.close();
  }
}
