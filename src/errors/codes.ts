/**
 * Every `code` a Sluice error can carry: the machine-readable part of the contract, kept in one
 * list so that clients, tests and the chat service's relay of gateway errors can check a code
 * they received.
 */
export const ERROR_CODES = [
  // 400
  'invalid_json',
  'invalid_field',
  'unknown_field',
  'invalid_query',
  'invalid_request',
  'invalid_username',
  'weak_password',
  'invalid_expiry',
  'ambiguous_key',
  'invalid_probe_parameter',
  'invalid_path',
  'model_required',
  // 401, 403
  'invalid_api_key',
  'account_disabled',
  'model_not_allowed',
  'model_not_priced',
  'background_not_metered',
  'tool_not_priced',
  'shared_source',
  'route_not_allowed',
  'admin_only',
  'csrf_failed',
  'cross_origin',
  'setup_host',
  'no_user',
  // 404, 405, 408, 409, 413, 415
  'unknown_url',
  'user_not_found',
  'key_not_found',
  'conversation_not_found',
  'object_not_found',
  'no_upstream',
  'model_not_found',
  'method_not_allowed',
  'request_timeout',
  'client_closed',
  'username_taken',
  'last_admin',
  'setup_done',
  'conflict',
  'request_too_large',
  'unsupported_media_type',
  // 429
  'rate_limit_exceeded',
  'too_many_streams',
  'budget_held',
  'insufficient_quota',
  'too_many_sign_in_attempts',
  'too_many_probes',
  // 5xx of Sluice itself
  'internal_error',
  'shutting_down',
  'store_unavailable',
  'limits_unavailable',
  'usage_backlog',
  'server_busy',
  // upstream
  'upstream_unreachable',
  'upstream_error',
  'upstream_auth_failed',
  'upstream_timeout',
  'upstream_http_error',
  // never an HTTP answer
  'invalid_config',
  'usage_error',
  'command_failed',
  'nginx_syntax',
  'invalid_address',
  'certificate_untrusted',
  'cannot_listen',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}
