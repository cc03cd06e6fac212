/**
 * The memory that request bodies in flight may hold, all of them together
 * (`SLUICE_MAX_BODY_INFLIGHT`). Without it, ten bodies just under `SLUICE_MAX_BODY` took a
 * process from 181 to 701 MB of RSS (issue #11): the size limit bounds one body, not their sum.
 */
import { ServerBusyError } from '../errors/index.ts';

export class BodyBudget {
  readonly limitBytes: number;
  #inUse = 0;

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
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
  }
}
