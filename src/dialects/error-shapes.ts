import type { ErrorKind, SluiceError } from '../errors/index.ts';

const openaiTypes: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  too_large: 'invalid_request_error',
  rate_limit: 'rate_limit_error',
  unavailable: 'server_error',
  upstream: 'server_error',
  timeout: 'server_error',
  internal: 'server_error',
};

const anthropicTypes: Record<ErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  too_large: 'request_too_large',
  rate_limit: 'rate_limit_error',
  unavailable: 'overloaded_error',
  upstream: 'api_error',
  timeout: 'api_error',
  internal: 'api_error',
};

/** OpenAI's error object: `{message, type, param, code}`. */
export function openaiError(error: SluiceError): {
  message: string;
  type: string;
  param: string | null;
  code: string;
} {
  const type = error.code === 'insufficient_quota' ? 'insufficient_quota' : openaiTypes[error.kind];
  return { message: error.clientMessage, type, param: error.param ?? null, code: error.code };
}

/** Anthropic's error object, with OpenAI's `code` beside it so either kind of client reads it. */
export function anthropicError(error: SluiceError): {
  type: string;
  message: string;
  code: string;
} {
  return { type: anthropicTypes[error.kind], message: error.clientMessage, code: error.code };
}
