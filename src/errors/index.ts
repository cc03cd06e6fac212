/**
 * Every failure a client can see. One base class with an HTTP status and a stable `code`
 * (as undici does: `UND_ERR_*`); dialects render it (`dialects/`), the server turns it into a
 * response in exactly one place (`server/respond.ts`).
 */

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

export interface SluiceErrorOptions {
  cause?: unknown;
  param?: string;
  /** Extra response headers, e.g. `Retry-After`. */
  headers?: Record<string, string>;
}

export class SluiceError extends Error {
  override readonly name: string = 'SluiceError';
  readonly status: number;
  readonly code: string;
  readonly kind: ErrorKind;
  readonly param: string | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    kind: ErrorKind,
    status: number,
    code: string,
    message: string,
    options: SluiceErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.param = options.param;
    this.headers = options.headers;
  }
}

export class BadRequestError extends SluiceError {
  constructor(code: string, message: string, options?: SluiceErrorOptions) {
    super('invalid_request', 400, code, message, options);
  }
}

export class AuthenticationError extends SluiceError {
  constructor(message: string) {
    super('authentication', 401, 'invalid_api_key', message);
  }
}

export class NotFoundError extends SluiceError {
  constructor(code: string, message: string) {
    super('not_found', 404, code, message);
  }
}

export class PayloadTooLargeError extends SluiceError {
  constructor(limitBytes: number) {
    super(
      'too_large',
      413,
      'request_too_large',
      `Request body is larger than this server's limit of ${limitBytes} bytes (SLUICE_MAX_BODY).`,
    );
  }
}

export class RateLimitError extends SluiceError {
  constructor(code: string, message: string, retryAfterSeconds: number) {
    super('rate_limit', 429, code, message, {
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

export class ShuttingDownError extends SluiceError {
  constructor() {
    super(
      'unavailable',
      503,
      'shutting_down',
      'Sluice is shutting down; retry on another instance.',
    );
  }
}

/** The upstream could not be reached at all: DNS, refused connection, TLS, proxy failure. */
export class UpstreamUnreachableError extends SluiceError {
  constructor(upstream: string, cause: unknown) {
    super(
      'upstream',
      502,
      'upstream_unreachable',
      `Upstream ${upstream} is unreachable (${describeCause(cause)}).`,
      { cause },
    );
  }
}

export type TimeoutPhase = 'connect' | 'first_byte' | 'idle' | 'total';

/** One of the configured timeouts (connect, first byte, idle between chunks, total) fired. */
export class UpstreamTimeoutError extends SluiceError {
  readonly phase: TimeoutPhase;
  constructor(upstream: string, phase: TimeoutPhase, ms: number, cause?: unknown) {
    super(
      'timeout',
      504,
      'upstream_timeout',
      `Upstream ${upstream} timed out: ${phase.replace('_', ' ')} timeout of ${ms} ms.`,
      { cause },
    );
    this.phase = phase;
  }
}

/** The upstream broke its own protocol: a stream that ended early, a reset mid-body. */
export class UpstreamProtocolError extends SluiceError {
  constructor(upstream: string, message: string, cause?: unknown) {
    super('upstream', 502, 'upstream_error', `Upstream ${upstream}: ${message}`, { cause });
  }
}

/**
 * The upstream answered with an HTTP error. Before the first byte its status and body reach the
 * client unchanged; after it, `message` (taken from the body) goes into the in-band error.
 */
export class UpstreamHttpError extends SluiceError {
  readonly upstreamHeaders: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  constructor(
    upstream: string,
    status: number,
    headers: Readonly<Record<string, string | string[] | undefined>>,
    body: Buffer,
  ) {
    const kind: ErrorKind =
      status === 429 ? 'rate_limit' : status >= 500 ? 'upstream' : 'invalid_request';
    super(kind, status, 'upstream_http_error', upstreamMessage(upstream, status, body));
    this.upstreamHeaders = headers;
    this.body = body;
  }
}

export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}

/** The human message inside an upstream error body, whichever dialect spelled it. */
function upstreamMessage(upstream: string, status: number, body: Buffer): string {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const error = (parsed as { error?: { message?: unknown } }).error;
    if (typeof error?.message === 'string') return error.message;
    const message = (parsed as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `Upstream ${upstream} answered HTTP ${status}.`;
}
