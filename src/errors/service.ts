/** Sluice itself cannot serve now: 500 (a bug) and 503 (retry shortly, `Retry-After`). */
import { type ErrorOptions, SluiceError } from './base.ts';

/** Anything thrown that is not a `SluiceError` is a bug: a 500 that says so, cause kept. */
export class InternalError extends SluiceError {
  readonly status = 500;
  readonly code = 'internal_error';
  readonly kind = 'internal';
  constructor(cause: unknown) {
    super('Internal error in Sluice; see its log.', { cause });
  }
}

abstract class Unavailable extends SluiceError {
  readonly status = 503;
  readonly kind = 'unavailable';
  constructor(message: string, options: ErrorOptions = {}, retryAfterSeconds = 5) {
    super(message, options);
    this.headers = { 'retry-after': String(retryAfterSeconds) };
  }
}

export class ShuttingDownError extends Unavailable {
  readonly code = 'shutting_down';
  constructor() {
    super('Sluice is shutting down; retry on another instance.');
  }
}

/**
 * The store itself failed (unreachable, I/O), as opposed to refusing an operation: readiness
 * goes red, usage records wait in memory, and any request that needed it gets a 503.
 */
export class StoreUnavailableError extends Unavailable {
  readonly code = 'store_unavailable';
  override get clientMessage(): string {
    return 'Sluice cannot reach its store; retry shortly.';
  }
}

/**
 * The limit counters could not be consulted (Redis unreachable, timed out, or answered
 * nonsense). Admitting anyway would let a limit go unenforced, so the request gets a 503.
 */
export class CountersUnavailableError extends Unavailable {
  readonly code = 'limits_unavailable';
  override get clientMessage(): string {
    return 'Sluice cannot check rate limits right now; retry shortly.';
  }
}

/** Too many usage records wait for the store: new requests wait rather than run unrecorded. */
export class UsageBacklogError extends Unavailable {
  readonly code = 'usage_backlog';
  constructor() {
    super('Sluice cannot record usage right now; retry shortly.');
  }
}

/** The request bodies in flight already hold `SLUICE_MAX_BODY_INFLIGHT` of memory. */
export class ServerBusyError extends Unavailable {
  readonly code = 'server_busy';
  constructor(limitBytes: number) {
    super(
      `Sluice is reading as many request bodies as it may hold at once (${limitBytes} bytes, SLUICE_MAX_BODY_INFLIGHT); retry shortly.`,
      {},
      1,
    );
    this.headers = { ...this.headers, connection: 'close' };
  }
}
