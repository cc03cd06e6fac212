/**
 * Browser sessions: a random token in an httpOnly, SameSite cookie; the store keeps only its
 * SHA-256, with the user, a CSRF token and the expiry. Revocable one by one (sign-out) or all
 * of a user's at once (password change, disabled account).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addCookie, readCookie, serializeCookie } from '../http/index.ts';
import type { Session, Store, User } from '../store/types.ts';

export const SESSION_COOKIE = 'sluice_session';
const LIFETIME_MS = 30 * 24 * 3600_000;
/** last_seen_at is written at most this often: a page that polls must not write on every call. */
const TOUCH_EVERY_MS = 5 * 60_000;

export interface SessionsOptions {
  readonly store: Store;
  readonly now?: () => number;
}

export class Sessions {
  readonly #store: Store;
  readonly #now: () => number;

  constructor(options: SessionsOptions) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
  }

  /** Signs `user` in: stores the session and sets its cookie on `res`. */
  async start(
    user: User,
    req: IncomingMessage,
    res: ServerResponse,
    clientIp: string | null,
  ): Promise<Session> {
    const token = randomBytes(32).toString('base64url');
    const session = await this.#store.createSession({
      id: hashToken(token),
      userId: user.id,
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: this.#now() + LIFETIME_MS,
      ip: clientIp,
      userAgent: req.headers['user-agent']?.slice(0, 300) ?? null,
    });
    addCookie(
      res,
      serializeCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'Lax',
        secure: isHttps(req),
        maxAgeSeconds: LIFETIME_MS / 1000,
      }),
    );
    return session;
  }

  /** The live session of the request's cookie, with its user; undefined if none is valid. */
  async resume(req: IncomingMessage): Promise<{ session: Session; user: User } | undefined> {
    const token = readCookie(req, SESSION_COOKIE);
    if (token === undefined || token === '') return undefined;
    const found = await this.#store.findSession(hashToken(token));
    const now = this.#now();
    if (
      found === undefined ||
      found.session.revokedAt !== null ||
      found.session.expiresAt <= now ||
      found.user.disabled
    ) {
      return undefined;
    }
    if (now - found.session.lastSeenAt > TOUCH_EVERY_MS)
      await this.#store.touchSession(found.session.id, now);
    return found;
  }

  /** Signs out: revokes the session and clears its cookie. */
  async end(session: Session, req: IncomingMessage, res: ServerResponse): Promise<void> {
    await this.#store.revokeSession(session.id, this.#now());
    addCookie(
      res,
      serializeCookie(SESSION_COOKIE, '', {
        httpOnly: true,
        sameSite: 'Lax',
        secure: isHttps(req),
        maxAgeSeconds: 0,
      }),
    );
  }

  revokeAll(userId: string): Promise<void> {
    return this.#store.revokeUserSessions(userId, this.#now());
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** HTTPS directly, or as reported by a proxy in front (then the cookie must be Secure). */
export function isHttps(req: IncomingMessage): boolean {
  return (
    ('encrypted' in req.socket && req.socket.encrypted === true) ||
    req.headers['x-forwarded-proto'] === 'https'
  );
}
