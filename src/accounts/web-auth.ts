/**
 * Who is calling `/api`: an API key (`Authorization: Bearer sk-sluice-…`, no CSRF token needed —
 * a browser never adds that header on its own), or the session cookie, whose state-changing
 * requests must echo the session's CSRF token in `X-CSRF-Token`. Before any session exists
 * (first-run setup, sign-in) the token is a double-submit cookie.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthenticationError, CrossOriginError, CsrfError } from '../errors/index.ts';
import { addCookie, readCookie, serializeCookie } from '../http/index.ts';
import type { Session } from '../store/types.ts';
import { type Authenticator, credentialOf, type Principal } from './authenticator.ts';
import { isHttps, type Sessions } from './sessions.ts';

export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_COOKIE = 'sluice_csrf';

export interface Identity {
  readonly principal: Principal;
  /** Set when the caller is a signed-in browser. */
  readonly session: Session | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class WebAuth {
  readonly #authenticator: Authenticator;
  readonly #sessions: Sessions;

  constructor(authenticator: Authenticator, sessions: Sessions) {
    this.#authenticator = authenticator;
    this.#sessions = sessions;
  }

  /** The caller, or undefined when there is neither a key nor a valid session cookie. */
  async optional(req: IncomingMessage): Promise<Identity | undefined> {
    const credential = credentialOf(req.headers);
    if (credential !== undefined) {
      return { principal: await this.#authenticator.authenticate(credential), session: undefined };
    }
    const found = await this.#sessions.resume(req);
    if (found === undefined) return undefined;
    if (!SAFE_METHODS.has(req.method ?? 'GET')) {
      checkOrigin(req);
      requireToken(req.headers[CSRF_HEADER], found.session.csrf);
    }
    return {
      principal: { kind: 'session', keyPrefix: 'web', user: found.user },
      session: found.session,
    };
  }

  /** The caller; 401 without a key or a session. */
  async identify(req: IncomingMessage): Promise<Identity> {
    const identity = await this.optional(req);
    if (identity === undefined) {
      throw new AuthenticationError(
        'Sign in first, or send an API key as "Authorization: Bearer <key>".',
      );
    }
    return identity;
  }

  /** The double-submit token for requests before any session: reuses the cookie's or sets one. */
  preSessionToken(req: IncomingMessage, res: ServerResponse): string {
    const existing = readCookie(req, CSRF_COOKIE);
    if (existing !== undefined && existing.length >= 16) return existing;
    const token = randomBytes(24).toString('base64url');
    addCookie(
      res,
      serializeCookie(CSRF_COOKIE, token, {
        httpOnly: false,
        sameSite: 'Strict',
        secure: isHttps(req),
      }),
    );
    return token;
  }

  /** Sign-in and setup: the header must repeat the pre-session cookie. */
  checkPreSession(req: IncomingMessage): void {
    checkOrigin(req);
    requireToken(req.headers[CSRF_HEADER], readCookie(req, CSRF_COOKIE));
  }
}

function requireToken(sent: string | string[] | undefined, expected: string | undefined): void {
  const a = Buffer.from(typeof sent === 'string' ? sent : '');
  const b = Buffer.from(expected ?? '');
  if (b.length === 0 || a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new CsrfError();
  }
}

/** A browser's Origin, when it sends one, must be this site: a cross-site form post is refused. */
function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return;
  const host = req.headers['x-forwarded-host'] ?? req.headers.host;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = '';
  }
  if (originHost !== host) {
    throw new CrossOriginError(origin);
  }
}
