/**
 * The memory that request bodies in flight may hold, all of them together
 * (`SLUICE_MAX_BODY_INFLIGHT`). Without it, ten bodies just under `SLUICE_MAX_BODY` took a
 * process from 181 to 701 MB of RSS (issue #11): the size limit bounds one body, not their sum.
 *
 * And given back when they end: a body, and the copies parsing it made, are garbage once its
 * request ends, but nothing makes V8 collect them while the process is otherwise quiet, so the
 * memory stayed. Once bodies that held at least `collectAfterBytes` have all ended, `collect`
 * is called, once, a second later (a full garbage collection, when the process allows one).
 */
import { ServerBusyError } from '../errors/index.ts';

export interface BodyBudgetOptions {
  /** Bytes of bodies, ended since the last collection, that make one worth its pause. */
  readonly collectAfterBytes: number;
  readonly collect: (() => void) | undefined;
}

export class BodyBudget {
  readonly limitBytes: number;
  readonly #o: BodyBudgetOptions | undefined;
  #inUse = 0;
  /** Bytes given back since the last collection. */
  #ended = 0;
  #pending: NodeJS.Timeout | undefined;

  constructor(limitBytes: number, options?: BodyBudgetOptions) {
    this.limitBytes = limitBytes;
    this.#o = options;
  }

  /** Bytes taken now; the `/metrics` gauge. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Takes `bytes`, or throws `ServerBusyError` (503, `Retry-After`) and takes nothing. */
  take(bytes: number): void {
    if (this.#inUse + bytes > this.limitBytes) throw new ServerBusyError(this.limitBytes);
    this.#inUse += bytes;
  }

  give(bytes: number): void {
    this.#inUse -= bytes;
    this.#ended += bytes;
    const o = this.#o;
    if (o?.collect === undefined || this.#inUse > 0 || this.#ended < o.collectAfterBytes) return;
    this.#ended = 0;
    clearTimeout(this.#pending);
    this.#pending = setTimeout(o.collect, 1000);
    this.#pending.unref();
  }
}
