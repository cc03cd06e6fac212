/**
 * Who is calling: the bootstrap admin key (`SLUICE_ADMIN_KEY`), or a Sluice key from the store.
 * Each request asks the store, so a revoked key stops working at once on every instance. When
 * the store is unreachable, a key seen valid within the last minutes still works — nothing can
 * be revoked while the store is down — and an unknown one gets a 503, not a false 401.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AuthenticationError, SluiceError } from '../errors/index.ts';
import { type ApiKey, StoreUnavailableError, type Store, type User } from '../store/types.ts';
import { hashKey, visiblePrefix } from './api-keys.ts';

export type Principal =
  /** The bootstrap key: no user, no limits. */
  | { readonly kind: 'admin'; readonly keyPrefix: string }
  | { readonly kind: 'key'; readonly keyPrefix: string; readonly key: ApiKey; readonly user: User };

export function isAdmin(principal: Principal): boolean {
  return principal.kind === 'admin' || principal.user.role === 'admin';
}

export interface Authenticator {
  /** The principal behind a credential; throws a 401, 403 or 503 `SluiceError` otherwise. */
  authenticate(credential: string | undefined): Promise<Principal>;
}

/** `Authorization: Bearer …`, or `x-api-key` as Anthropic clients send it. */
export function credentialOf(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization !== '') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
}

export interface KeyAuthenticatorOptions {
  readonly adminKey: string | undefined;
  readonly store: Store;
  /** How long a key last seen valid is trusted while the store is unreachable. */
  readonly staleMs?: number;
  readonly now?: () => number;
}

const MAX_REMEMBERED = 10_000;

export class KeyAuthenticator implements Authenticator {
  readonly #adminDigest: Buffer | undefined;
  readonly #adminPrefix: string;
  readonly #store: Store;
  readonly #staleMs: number;
  readonly #now: () => number;
  /** Last answer of the store per key hash, for outages only. */
  readonly #lastGood = new Map<
    string,
    { found: { key: ApiKey; user: User } | undefined; at: number }
  >();

  constructor(options: KeyAuthenticatorOptions) {
    this.#adminDigest = options.adminKey === undefined ? undefined : sha256(options.adminKey);
    this.#adminPrefix = options.adminKey === undefined ? '' : visiblePrefix(options.adminKey);
    this.#store = options.store;
    this.#staleMs = options.staleMs ?? 10 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  async authenticate(credential: string | undefined): Promise<Principal> {
    if (credential === undefined) {
      throw new AuthenticationError(
        'You did not provide an API key. Send it as "Authorization: Bearer <key>" (or "x-api-key: <key>").',
      );
    }
    // Compare digests so neither the length nor the content leaks through timing.
    if (this.#adminDigest !== undefined && timingSafeEqual(sha256(credential), this.#adminDigest)) {
      return { kind: 'admin', keyPrefix: this.#adminPrefix };
    }
    const found = await this.#lookup(hashKey(credential));
    if (found === undefined) throw new AuthenticationError('Incorrect API key provided.');
    const { key, user } = found;
    if (key.revokedAt !== null)
      throw new AuthenticationError(`The API key ${key.prefix}… has been revoked.`);
    if (key.expiresAt !== null && key.expiresAt <= this.#now()) {
      throw new AuthenticationError(
        `The API key ${key.prefix}… expired on ${new Date(key.expiresAt).toISOString()}.`,
      );
    }
    if (user.disabled) {
      throw new SluiceError(
        'permission',
        403,
        'account_disabled',
        `The account "${user.username}" is disabled.`,
      );
    }
    return { kind: 'key', keyPrefix: key.prefix, key, user };
  }

  async #lookup(hash: string): Promise<{ key: ApiKey; user: User } | undefined> {
    try {
      const found = await this.#store.findKeyByHash(hash);
      this.#remember(hash, found);
      return found;
    } catch (error) {
      const last = this.#lastGood.get(hash);
      if (
        error instanceof StoreUnavailableError &&
        last !== undefined &&
        this.#now() - last.at < this.#staleMs
      ) {
        return last.found;
      }
      throw new SluiceError(
        'unavailable',
        503,
        'store_unavailable',
        'Sluice cannot reach its key store; retry shortly.',
        {
          cause: error,
          headers: { 'retry-after': '5' },
        },
      );
    }
  }

  #remember(hash: string, found: { key: ApiKey; user: User } | undefined): void {
    this.#lastGood.delete(hash);
    this.#lastGood.set(hash, { found, at: this.#now() });
    if (this.#lastGood.size > MAX_REMEMBERED) {
      const oldest = this.#lastGood.keys().next().value;
      if (oldest !== undefined) this.#lastGood.delete(oldest);
    }
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
