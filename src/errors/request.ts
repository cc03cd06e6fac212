/** The request itself is wrong: 400, 404, 405, 408, 409, 413, 415. */
import { type ErrorOptions, SluiceError } from './base.ts';

abstract class BadRequest extends SluiceError {
  readonly status: number = 400;
  readonly kind = 'invalid_request';
}

export class InvalidJsonError extends BadRequest {
  readonly code = 'invalid_json';
}

/** A field of a JSON body has the wrong type or value. */
export class InvalidFieldError extends BadRequest {
  readonly code = 'invalid_field';
  constructor(param: string, message: string, options: Omit<ErrorOptions, 'param'> = {}) {
    super(message, { ...options, param });
  }
}

export class UnknownFieldError extends BadRequest {
  readonly code = 'unknown_field';
  constructor(param: string, message: string) {
    super(message, { param });
  }
}

export class InvalidQueryError extends BadRequest {
  readonly code = 'invalid_query';
  constructor(param: string, message: string) {
    super(message, { param });
  }
}

/** A request that is well-formed but cannot be done as asked. */
export class InvalidRequestError extends BadRequest {
  readonly code = 'invalid_request';
}

export class InvalidUsernameError extends BadRequest {
  readonly code = 'invalid_username';
  constructor() {
    super(
      'A username is 1 to 64 letters, digits, ".", "_", "-" or "@", starting with a letter or digit.',
      { param: 'username' },
    );
  }
}

export class WeakPasswordError extends BadRequest {
  readonly code = 'weak_password';
  constructor(problem: string) {
    super(`The password is too weak: it must ${problem}.`, { param: 'password' });
  }
}

export class InvalidExpiryError extends BadRequest {
  readonly code = 'invalid_expiry';
  constructor() {
    super('The expiry must be in the future.', { param: 'expires_at' });
  }
}

export class AmbiguousKeyError extends BadRequest {
  readonly code = 'ambiguous_key';
  constructor(prefix: string, matches: number) {
    super(`"${prefix}" matches ${matches} keys; give the key id instead.`);
  }
}

export class InvalidProbeParameterError extends BadRequest {
  readonly code = 'invalid_probe_parameter';
  constructor(param: string, message: string) {
    super(message, { param });
  }
}

/**
 * A path that could mean two things to two parsers (malformed percent-encoding, an encoded `/`
 * or `\`, a dot segment): refused before anything is forwarded or matched.
 */
export class InvalidPathError extends BadRequest {
  readonly code = 'invalid_path';
  constructor(path: string, why: string) {
    super(`The request path ${JSON.stringify(path)} is not accepted: ${why}.`);
  }
}

/** A key limited to some models or to a budget must say which model it uses. */
export class ModelRequiredError extends BadRequest {
  readonly code = 'model_required';
  constructor(message: string) {
    super(message, { param: 'model' });
  }
}

abstract class NotFound extends SluiceError {
  readonly status = 404;
  readonly kind = 'not_found';
}

export class UnknownUrlError extends NotFound {
  readonly code = 'unknown_url';
  constructor(method: string, path: string, what = 'request URL') {
    super(`Unknown ${what}: ${method} ${path}.`);
  }
}

export class UserNotFoundError extends NotFound {
  readonly code = 'user_not_found';
  constructor(username: string) {
    super(`There is no user "${username}".`);
  }
}

export class KeyNotFoundError extends NotFound {
  readonly code = 'key_not_found';
}

export class ConversationNotFoundError extends NotFound {
  readonly code = 'conversation_not_found';
  constructor(id: string) {
    super(`There is no conversation "${id}".`);
  }
}

/** A provider object (file, batch, stored response…) this caller did not create through Sluice. */
export class ObjectNotFoundError extends NotFound {
  readonly code = 'object_not_found';
  constructor(id: string) {
    super(`No such object: ${id}.`, { param: 'id' });
  }
}

export class NoUpstreamError extends NotFound {
  readonly code = 'no_upstream';
}

export class ModelNotFoundError extends NotFound {
  readonly code = 'model_not_found';
  constructor(message: string) {
    super(message, { param: 'model' });
  }
}

export class MethodNotAllowedError extends SluiceError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  readonly kind = 'invalid_request';
  constructor(allowed: readonly string[], path: string) {
    super(`Use ${allowed.join(', ')} for ${path}.`);
    this.headers = { allow: allowed.join(', ') };
  }
}

/**
 * The client closed its connection before its request body was whole: there is no one to
 * answer, and nothing went wrong on this side. 499, as nginx logs it ("client closed request").
 */
export class ClientClosedError extends SluiceError {
  readonly status = 499;
  readonly code = 'client_closed';
  readonly kind = 'invalid_request';
  constructor(cause?: unknown) {
    super('The client closed the connection before its request body was complete.', { cause });
  }
}

/**
 * The request body did not start, or stalled, for longer than `SLUICE_BODY_TIMEOUT`: the
 * client's doing, so an invalid request (not a server error) to the SDKs.
 */
export class RequestTimeoutError extends SluiceError {
  readonly status = 408;
  readonly code = 'request_timeout';
  readonly kind = 'invalid_request';
  constructor(timeoutMs: number) {
    super(
      `The request body stalled: no byte arrived for ${timeoutMs / 1000} s (SLUICE_BODY_TIMEOUT).`,
    );
    this.headers = { connection: 'close' };
  }
}

abstract class Conflict extends SluiceError {
  readonly status = 409;
  readonly kind = 'invalid_request';
}

export class UsernameTakenError extends Conflict {
  readonly code = 'username_taken';
  constructor(username: string, cause?: unknown) {
    super(`The username "${username}" is taken.`, { param: 'username', cause });
  }
}

export class LastAdminError extends Conflict {
  readonly code = 'last_admin';
}

export class SetupDoneError extends Conflict {
  readonly code = 'setup_done';
  constructor() {
    super('Sluice is set up already: sign in instead.');
  }
}

/** A unique constraint of the store refused a write. */
export class ConflictError extends Conflict {
  readonly code = 'conflict';
}

export class PayloadTooLargeError extends SluiceError {
  readonly status = 413;
  readonly code = 'request_too_large';
  readonly kind = 'too_large';
  constructor(limitBytes: number) {
    super(
      `Request body is larger than this server's limit of ${limitBytes} bytes (SLUICE_MAX_BODY).`,
    );
    // The rest of the body is not read: the connection cannot carry another request.
    this.headers = { connection: 'close' };
  }
}

export class UnsupportedMediaTypeError extends SluiceError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  readonly kind = 'invalid_request';
}
