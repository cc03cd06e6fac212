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
export { LoginThrottle } from './login-throttle.ts';
