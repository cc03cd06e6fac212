/**
 * A provider's error in the other API's shape: the same object serves an HTTP error body and an
 * in-band stream error (Anthropic's `event: error` data ⇄ OpenAI's `data: {"error": …}`). The
 * provider's message is kept; its type is mapped onto the other vocabulary and kept as `code`,
 * so nothing it said is lost.
 */
import { type JsonObject, asString, isObject } from './json.ts';

/**
 * Anthropic error types in OpenAI's words (shared/ErrorType in the Anthropic SDK). Maps, not
 * objects: the type is the provider's, and an object also answers `constructor`.
 */
const CHAT_TYPES: ReadonlyMap<string, string> = new Map([
  ['invalid_request_error', 'invalid_request_error'],
  ['request_too_large', 'invalid_request_error'],
  ['authentication_error', 'authentication_error'],
  ['permission_error', 'permission_error'],
  ['not_found_error', 'not_found_error'],
  ['rate_limit_error', 'rate_limit_error'],
  ['billing_error', 'insufficient_quota'],
]);

/**
 * OpenAI error types in Anthropic's words — and the `status` Google's OpenAI-compatible API
 * gives instead of a type (gRPC's codes).
 */
const ANTHROPIC_TYPES: ReadonlyMap<string, string> = new Map([
  ['invalid_request_error', 'invalid_request_error'],
  ['authentication_error', 'authentication_error'],
  ['permission_error', 'permission_error'],
  ['not_found_error', 'not_found_error'],
  ['rate_limit_error', 'rate_limit_error'],
  ['insufficient_quota', 'billing_error'],
  ['INVALID_ARGUMENT', 'invalid_request_error'],
  ['FAILED_PRECONDITION', 'invalid_request_error'],
  ['UNAUTHENTICATED', 'authentication_error'],
  ['PERMISSION_DENIED', 'permission_error'],
  ['NOT_FOUND', 'not_found_error'],
  ['RESOURCE_EXHAUSTED', 'rate_limit_error'],
  ['UNAVAILABLE', 'overloaded_error'],
]);

const FALLBACK_MESSAGE = 'The provider reported an error without a message.';

/** `{"type": "error", "error": {type, message}}` (Anthropic) as `{"error": {…}}` (OpenAI). */
export function messagesErrorToChat(body: unknown): JsonObject {
  const error = isObject(body) && isObject(body.error) ? body.error : {};
  const type = asString(error.type) ?? 'api_error';
  return {
    error: {
      message: asString(error.message) ?? FALLBACK_MESSAGE,
      type: CHAT_TYPES.get(type) ?? 'server_error',
      param: null,
      code: type,
    },
  };
}

/**
 * `{"error": {message, type, param, code}}` (OpenAI) as `{"type": "error", "error": {…}}`.
 * Google's OpenAI-compatible API answers `[{"error": {code, message, status}}]`: the same, in
 * a list, its `status` for a type.
 */
export function chatErrorToMessages(body: unknown): JsonObject {
  const answer = Array.isArray(body) && body.length === 1 ? (body[0] as unknown) : body;
  const error = isObject(answer) && isObject(answer.error) ? answer.error : {};
  const type = asString(error.type) ?? asString(error.status) ?? '';
  const code = asString(error.code) ?? (type === '' ? undefined : type);
  return {
    type: 'error',
    error: {
      type: ANTHROPIC_TYPES.get(type) ?? 'api_error',
      message: asString(error.message) ?? FALLBACK_MESSAGE,
      ...(code === undefined ? {} : { code }),
    },
  };
}
