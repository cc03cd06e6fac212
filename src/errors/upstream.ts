/**
 * The upstream failed. Connect failure → 502, timeout → 504, a broken stream → 502; an HTTP
 * error of the upstream passes through as it came, except a refusal of Sluice's own provider
 * credentials, which is Sluice's problem, not the caller's (502 `upstream_auth_failed`).
 */
import { describeCause, type ErrorKind, SluiceError } from './base.ts';
import type { ErrorCode } from './codes.ts';

abstract class UpstreamFailure extends SluiceError {
  readonly status: number = 502;
  readonly kind: ErrorKind = 'upstream';
}

/**
 * The upstream could not be reached at all: DNS, refused connection, TLS, proxy failure. The
 * cause names the operator's network — the address of a relay or egress proxy, a host name, a
 * certificate's names — so the client is told the upstream and the kind of failure only.
 */
export class UpstreamUnreachableError extends UpstreamFailure {
  readonly code = 'upstream_unreachable';
  readonly #upstream: string;
  readonly #causeCode: string | undefined;
  constructor(upstream: string, cause: unknown) {
    super(`Upstream ${upstream} is unreachable (${describeCause(cause)}).`, { cause });
    this.#upstream = upstream;
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.#causeCode = typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : undefined;
  }
  override get clientMessage(): string {
    const how = this.#causeCode === undefined ? '' : ` (${this.#causeCode})`;
    return `Upstream ${this.#upstream} is unreachable${how}; the gateway's log has the details.`;
  }
}

export type TimeoutPhase = 'connect' | 'first_byte' | 'idle' | 'total';

/** One of the configured timeouts (connect, first byte, idle between chunks, total) fired. */
export class UpstreamTimeoutError extends UpstreamFailure {
  override readonly status = 504;
  override readonly kind = 'timeout';
  readonly code = 'upstream_timeout';
  readonly phase: TimeoutPhase;
  constructor(upstream: string, phase: TimeoutPhase, ms: number, cause?: unknown) {
    super(`Upstream ${upstream} timed out: ${phase.replace('_', ' ')} timeout of ${ms} ms.`, {
      cause,
    });
    this.phase = phase;
  }
}

/** The upstream broke its own protocol: a stream that ended early, a reset mid-body. */
export class UpstreamProtocolError extends UpstreamFailure {
  readonly code = 'upstream_error';
  constructor(upstream: string, message: string, cause?: unknown) {
    super(`Upstream ${upstream}: ${message}`, { cause });
  }
}

/**
 * The provider refused Sluice's own credentials (401/403). Its body can quote the masked key
 * or name the account, so the client gets Sluice's words and the operator's log the provider's.
 */
export class UpstreamAuthFailedError extends UpstreamFailure {
  readonly code = 'upstream_auth_failed';
  readonly upstreamStatus: number;
  constructor(upstream: string, status: number, providerMessage: string) {
    super(`Upstream ${upstream} refused Sluice's credentials (HTTP ${status}): ${providerMessage}`);
    this.upstreamStatus = status;
  }
  override get clientMessage(): string {
    return 'The provider refused the gateway’s own credentials. This is not a problem with your key or request; the operator has been told (see the Sluice log).';
  }
}

/**
 * The upstream answered with an HTTP error. Before the first byte its status and body reach the
 * client unchanged (`headers` holds those a client may see); after it, `message` (taken from
 * the body) goes into the in-band error.
 */
export class UpstreamHttpError extends SluiceError {
  readonly code = 'upstream_http_error';
  readonly status: number;
  readonly kind: ErrorKind;
  readonly body: Buffer;
  constructor(
    upstream: string,
    status: number,
    headers: Readonly<Record<string, string>>,
    body: Buffer,
  ) {
    super(upstreamMessage(upstream, status, body));
    this.status = status;
    this.kind = httpErrorKind(status);
    this.headers = headers;
    this.body = body;
  }
}

/**
 * The upstream answered with an HTTP error whose body is longer than Sluice reads of one: cut,
 * it would reach the client as broken JSON, so the client gets the upstream's status in its
 * own dialect, and the log the body's start.
 */
export class UpstreamErrorTooLargeError extends SluiceError {
  readonly code = 'upstream_http_error';
  readonly status: number;
  readonly kind: ErrorKind;
  readonly #clientMessage: string;
  constructor(upstream: string, status: number, limit: number, start: Buffer) {
    const said = `Upstream ${upstream} answered HTTP ${status} with an error body longer than ${limit} bytes`;
    super(`${said}, which begins: ${start.toString('utf8', 0, 1024)}`);
    this.status = status;
    this.kind = httpErrorKind(status);
    this.#clientMessage = `${said}; the gateway's log has its start.`;
  }
  override get clientMessage(): string {
    return this.#clientMessage;
  }
}

/** What an upstream's HTTP error status is, as a kind. */
function httpErrorKind(status: number): ErrorKind {
  return status === 429 ? 'rate_limit' : status >= 500 ? 'upstream' : 'invalid_request';
}

/** The human message inside an upstream error body, whichever dialect spelled it. */
export function upstreamMessage(upstream: string, status: number, body: Buffer): string {
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

/**
 * The chat service's own gateway refused its call (a limit, a missing model, an upstream
 * failure): relayed to the browser as the gateway answered it, status and code included.
 */
export class GatewayRefusalError extends SluiceError {
  readonly status: number;
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  constructor(status: number, code: ErrorCode, message: string, retryAfter: string | null) {
    super(message);
    this.status = status;
    this.code = code;
    this.kind = kindOfStatus(status);
    if (retryAfter !== null) this.headers = { 'retry-after': retryAfter };
  }
}

function kindOfStatus(status: number): ErrorKind {
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 413) return 'too_large';
  if (status === 429) return 'rate_limit';
  if (status === 503) return 'unavailable';
  if (status === 504) return 'timeout';
  return status >= 500 ? 'upstream' : 'invalid_request';
}
