/**
 * The server's rules for one request's body — its stall timeout and its share of the memory
 * budget — attached to the request once, when it arrives, and consulted by whoever reads the
 * body (`readBody`, `limitedBody`, a multipart reader through `reserveBodyMemory`). Readers keep
 * their plain `(req, limit)` signatures; a request no server guards (a unit test's) has neither
 * rule.
 */
import type { IncomingMessage } from 'node:http';
import { RequestTimeoutError } from '../errors/index.ts';
import type { BodyBudget } from './body-budget.ts';
import { declaresBody, watchBody } from './body-watchdog.ts';

export interface BodyRules {
  readonly timeoutMs: number;
  readonly budget: BodyBudget;
  /**
   * The body stalled while no reader was waiting for it (the handler is busy elsewhere, or
   * answered without reading it): the server answers, or closes the connection.
   */
  readonly onStall: (error: RequestTimeoutError) => void;
}

/** One request's body: what it holds of the budget, whether it stalled, who is reading it. */
export class BodyGuard {
  readonly #budget: BodyBudget;
  #held = 0;
  #released = false;
  #stall: RequestTimeoutError | undefined;
  #reader: ((error: Error) => void) | undefined;

  constructor(budget: BodyBudget) {
    this.#budget = budget;
  }

  /** The stall's error once the body stalled: a reader that starts later fails at once. */
  get stall(): RequestTimeoutError | undefined {
    return this.#stall;
  }

  /** Charges `bytes` to the budget until the request ends; throws `ServerBusyError` when over. */
  hold(bytes: number): void {
    // After the end nothing would give them back: what is read then is the caller's, briefly.
    if (this.#released) return;
    this.#budget.take(bytes);
    this.#held += bytes;
  }

  release(): void {
    this.#budget.give(this.#held);
    this.#held = 0;
    this.#released = true;
  }

  /** A reader waits for bytes: a stall meanwhile is its failure. Returns the unregistration. */
  reading(fail: (error: Error) => void): () => void {
    this.#reader = fail;
    return () => {
      if (this.#reader === fail) this.#reader = undefined;
    };
  }

  /** Records the stall and hands it to the reader waiting, if any; true when one took it. */
  stalled(error: RequestTimeoutError): boolean {
    this.#stall = error;
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.(error);
    return reader !== undefined;
  }
}

const guards = new WeakMap<IncomingMessage, BodyGuard>();

/**
 * Called by the server first thing for every request: a request that declares a body is
 * watched until the body is complete; the server calls `releaseBody` when the response closes.
 */
export function guardBody(req: IncomingMessage, rules: BodyRules): void {
  const guard = new BodyGuard(rules.budget);
  guards.set(req, guard);
  if (!declaresBody(req) || req.complete) return;
  watchBody(req, rules.timeoutMs, () => {
    const error = new RequestTimeoutError(rules.timeoutMs);
    if (!guard.stalled(error)) rules.onStall(error);
  });
}

/**
 * The request is over (its response closed): what its body held of the budget is given back.
 * A body is kept for the whole stream (failover replays it), so not before.
 */
export function releaseBody(req: IncomingMessage): void {
  guards.get(req)?.release();
}

export function bodyGuardOf(req: IncomingMessage): BodyGuard | undefined {
  return guards.get(req);
}

/**
 * For a reader of `req`'s body other than `readBody` and `limitedBody` (a multipart parser):
 * a stall while it reads is handed to `fail` — at once if the body already stalled. Returns
 * the unregistration, for when the body is in.
 */
export function readingBody(req: IncomingMessage, fail: (error: Error) => void): () => void {
  const guard = guards.get(req);
  if (guard === undefined) return () => undefined;
  if (guard.stall !== undefined) {
    fail(guard.stall);
    return () => undefined;
  }
  return guard.reading(fail);
}

/**
 * Charges `bytes` that a reader holds of `req`'s body (e.g. the part of an upload that must
 * wait) to the budget of bodies in flight, until the request ends. Throws `ServerBusyError`
 * when they do not fit.
 */
export function reserveBodyMemory(req: IncomingMessage, bytes: number): void {
  guards.get(req)?.hold(bytes);
}
