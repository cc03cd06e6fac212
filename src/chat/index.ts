export { ChatApi, type ChatApiOptions } from './chat-api.ts';
export { Sessions, SESSION_COOKIE } from './sessions.ts';
export { WebAuth, CSRF_HEADER, CSRF_COOKIE, type Identity } from './web-auth.ts';
export { LoginThrottle } from './login-throttle.ts';
export type { ChatEvent } from './wire.ts';
