/**
 * The base of every error Sluice raises, in the style of undici's `lib/core/errors.js`: one
 * class per failure, each fixing its HTTP status, its stable `code` and its `kind` (what the
 * dialects render as an error type). Throw sites choose a class, never a status or a code;
 * the server turns any of them into a response in one place (`http/respond.ts`).
 */
import type { ErrorCode } from './codes.ts';

/** What kind of failure this is, independent of any provider's spelling of it. */
export type ErrorKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'too_large'
  | 'rate_limit'
  | 'unavailable'
  | 'upstream'
  | 'timeout'
  | 'internal';

export interface ErrorOptions {
  readonly cause?: unknown;
  /** The request field at fault, e.g. `model`. */
  readonly param?: string;
}

export abstract class SluiceError extends Error {
  abstract readonly status: number;
  abstract readonly code: ErrorCode;
  abstract readonly kind: ErrorKind;
  readonly param: string | undefined;
  /** Extra response headers, e.g. `Retry-After` or `Allow`. */
  headers: Readonly<Record<string, string>> | undefined;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.param = options.param;
  }

  override get name(): string {
    return this.constructor.name;
  }

  /**
   * What the client is told. The message itself goes to the operator's log; a class whose
   * message can name internals (a database host, a provider's wording) tells the client less.
   */
  get clientMessage(): string {
    return this.message;
  }
}

/** A failure of Sluice's own making that has no HTTP meaning (config, CLI, deploy files). */
export abstract class LocalError extends SluiceError {
  readonly status = 500;
  readonly kind = 'internal';
}

/** `UND_ERR_CONNECT_TIMEOUT: connect timed out` — a cause as one line for messages and logs. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}
