export {
  KeyAuthenticator,
  credentialOf,
  isAdmin,
  userOf,
  internalCredential,
  isInternalCredential,
  type Authenticator,
  type KeyAuthenticatorOptions,
  type Principal,
} from './authenticator.ts';
export { generateKey, hashKey, visiblePrefix, KEY_PREFIX, type NewApiKey } from './api-keys.ts';
export { hashPassword, verifyPassword, checkPasswordStrength } from './passwords.ts';
export { Accounts, type CreatedKey, type NewKeyInput, type NewUserInput } from './accounts.ts';
export { keyView, limitsView, userView, iso } from './views.ts';
export { Sessions, SESSION_COOKIE, isHttps } from './sessions.ts';
export { WebAuth, CSRF_HEADER, CSRF_COOKIE, type Identity } from './web-auth.ts';
export {
  createLoginThrottle,
  type LoginThrottle,
  type LoginThrottleOptions,
  type SignInAttempt,
} from './login-throttle.ts';
export { MemoryLoginThrottle, type MemoryThrottleOptions } from './sign-in-memory.ts';
export { RedisLoginThrottle, type RedisThrottleOptions } from './sign-in-redis.ts';
export { SIGN_IN_LIMITS, type SignInLimits } from './sign-in-limits.ts';
export { ROUTE_SCOPES, isRouteScope, parseRouteScopes, type RouteScope } from './route-scopes.ts';
