/**
 * Who is calling: the bootstrap admin key (`SLUICE_ADMIN_KEY`), or a Sluice key from the store.
 *
 * The store's answer for a key is kept for `KEY_CACHE_MS` (issue #16: the lookup was the largest
 * part of what Sluice adds to a stream's first byte — a query on SQLite, a round trip to
 * PostgreSQL). That is the bound on how late a change made elsewhere — a key revoked or its
 * limits changed by another instance, worker or the CLI, its user disabled — takes effect here:
 * an answer is used only while younger than the bound, counted from when the lookup began. A
 * change made through this process (`Accounts`) takes effect here at once (`key-changes.ts`).
 * Unknown keys are not kept: they ask the store every time, as before.
 *
 * When the store is unreachable, a key seen valid within the last minutes still works — nothing
 * can be revoked while the store is down — and an unknown one gets a 503, not a false 401.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  AccountDisabledError,
  AuthenticationError,
  StoreUnavailableError,
} from '../errors/index.ts';
import type { ApiKey, Store, User } from '../store/types.ts';
import { hashKey } from './api-keys.ts';
import { keyChangesOf } from './key-changes.ts';

export type Principal =
  /** The bootstrap key: no user, no limits. */
  | { readonly kind: 'admin'; readonly keyPrefix: 'admin' }
  | { readonly kind: 'key'; readonly keyPrefix: string; readonly key: ApiKey; readonly user: User }
  /** A user signed in on the web page (the chat service acts for them); no key involved. */
  | { readonly kind: 'session'; readonly keyPrefix: 'web'; readonly user: User };

/**
 * Whether the caller administers: the bootstrap key, an admin signed in, or an admin's key
 * that is not held to some models or to an expiry. A key so held is an app's or a temporary
 * key: it acts as its user's key without the role (before, a key made for one model and one
 * day could mint an unrestricted, lasting key through the admin API). A key's own limits (rpm,
 * budget) cap what it spends, not what it administers.
 */
export function isAdmin(principal: Principal): boolean {
  if (principal.kind === 'admin') return true;
  if (principal.user.role !== 'admin') return false;
  return (
    principal.kind === 'session' ||
    (principal.key.models === null && principal.key.expiresAt === null)
  );
}

/** The user behind a principal; the bootstrap key has none. */
export function userOf(principal: Principal | undefined): User | undefined {
  return principal === undefined || principal.kind === 'admin' ? undefined : principal.user;
}

/**
 * How the chat service calls its own gateway on behalf of a signed-in user: a per-process
 * secret and the user's id, never shown outside the process.
 */
const INTERNAL = 'sluice-internal.';

/** For the user, or for one of their keys when the chat service was called with that key. */
export function internalCredential(secret: string, userId: string, keyId?: string): string {
  return `${INTERNAL}${secret}.${userId}${keyId === undefined ? '' : `.${keyId}`}`;
}

export function isInternalCredential(credential: string | undefined): boolean {
  return credential?.startsWith(INTERNAL) === true;
}

export interface Authenticator {
  /** The principal behind a credential; throws a 401, 403 or 503 `SluiceError` otherwise. */
  authenticate(credential: string | undefined): Promise<Principal>;
}

/** `Authorization: Bearer …`, or `x-api-key` as Anthropic clients send it. */
export function credentialOf(headers: IncomingHttpHeaders): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return bearer;
  // An Authorization of another kind (a proxy's Basic login in front of Sluice) leaves the
  // key to x-api-key, as Anthropic's clients send it.
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
}

export interface KeyAuthenticatorOptions {
  readonly adminKey: string | undefined;
  readonly store: Store;
  /** The secret of `internalCredential`; without it internal credentials are refused. */
  readonly internalSecret?: string;
  /** How long a key last seen valid is trusted while the store is unreachable. */
  readonly staleMs?: number;
  /**
   * How long the store's answer for a key is used without asking again: the bound on how late
   * a change made elsewhere takes effect here. 0 asks the store for every request.
   */
  readonly cacheMs?: number;
  /** Epoch ms, for key expiry. */
  readonly now?: () => number;
  /** Monotonic ms, for the age of what is remembered (`performance.now` by default). */
  readonly clock?: () => number;
}

/** Revocations and other changes made elsewhere take effect within this (see above). */
export const KEY_CACHE_MS = 2000;
const MAX_REMEMBERED = 10_000;

type Found = { readonly key: ApiKey; readonly user: User } | undefined;

/** The store's answer for one key hash, as of when the lookup began. */
interface Remembered {
  readonly found: Found;
  /** `clock()` when the lookup began. */
  readonly at: number;
  /** `keyChangesOf(store)` when the lookup began. */
  readonly changes: number;
}

export class KeyAuthenticator implements Authenticator {
  readonly #adminDigest: Buffer | undefined;
  readonly #internalDigest: Buffer | undefined;
  readonly #store: Store;
  readonly #staleMs: number;
  readonly #cacheMs: number;
  readonly #now: () => number;
  readonly #clock: () => number;
  /** The store's last answer per key hash: the cache, and what outages fall back on. */
  readonly #remembered = new Map<string, Remembered>();
  /** Lookups under way per key hash: requests that arrive meanwhile wait for the same one. */
  readonly #asking = new Map<string, { answer: Promise<Found>; changes: number }>();

  constructor(options: KeyAuthenticatorOptions) {
    this.#adminDigest = options.adminKey === undefined ? undefined : sha256(options.adminKey);
    this.#internalDigest =
      options.internalSecret === undefined ? undefined : sha256(options.internalSecret);
    this.#store = options.store;
    this.#staleMs = options.staleMs ?? 10 * 60_000;
    this.#cacheMs = options.cacheMs ?? KEY_CACHE_MS;
    this.#now = options.now ?? Date.now;
    this.#clock = options.clock ?? (() => performance.now());
  }

  async authenticate(credential: string | undefined): Promise<Principal> {
    if (credential === undefined) {
      throw new AuthenticationError(
        'No API key found: send it as "Authorization: Bearer <key>" (or "x-api-key: <key>").',
      );
    }
    // Compare digests so neither the length nor the content leaks through timing.
    if (this.#adminDigest !== undefined && timingSafeEqual(sha256(credential), this.#adminDigest)) {
      // No part of the admin key is ever logged or recorded: it is just "admin".
      return { kind: 'admin', keyPrefix: 'admin' };
    }
    if (credential.startsWith(INTERNAL)) return this.#internal(credential.slice(INTERNAL.length));
    const found = await this.#lookup(hashKey(credential));
    if (found === undefined) throw new AuthenticationError('Incorrect API key provided.');
    return this.#principal(found.key, found.user);
  }

  #principal(key: ApiKey, user: User): Principal {
    if (key.revokedAt !== null)
      throw new AuthenticationError(`The API key ${key.prefix}… has been revoked.`);
    if (key.expiresAt !== null && key.expiresAt <= this.#now()) {
      throw new AuthenticationError(
        `The API key ${key.prefix}… expired on ${new Date(key.expiresAt).toISOString()}.`,
      );
    }
    this.#checkUser(user);
    return { kind: 'key', keyPrefix: key.prefix, key, user };
  }

  #checkUser(user: User): void {
    if (user.disabled) throw new AccountDisabledError(user.username);
  }

  async #internal(rest: string): Promise<Principal> {
    const [secret = '', userId = '', keyId] = rest.split('.');
    if (
      this.#internalDigest === undefined ||
      !timingSafeEqual(sha256(secret), this.#internalDigest)
    ) {
      throw new AuthenticationError('Incorrect API key provided.');
    }
    const user = await this.#store.getUser(userId);
    if (user === undefined) throw new AuthenticationError('The signed-in user no longer exists.');
    if (keyId === undefined) {
      this.#checkUser(user);
      return { kind: 'session', keyPrefix: 'web', user };
    }
    const key = await this.#store.getKey(keyId);
    if (key === undefined || key.userId !== user.id)
      throw new AuthenticationError('Incorrect API key provided.');
    return this.#principal(key, user);
  }

  async #lookup(hash: string): Promise<Found> {
    const changes = keyChangesOf(this.#store);
    const remembered = this.#remembered.get(hash);
    if (
      remembered?.found !== undefined &&
      remembered.changes === changes &&
      this.#clock() - remembered.at < this.#cacheMs
    )
      return remembered.found;
    try {
      return await this.#ask(hash, changes);
    } catch (error) {
      if (
        error instanceof StoreUnavailableError &&
        remembered !== undefined &&
        this.#clock() - remembered.at < this.#staleMs
      ) {
        return remembered.found;
      }
      throw error instanceof StoreUnavailableError
        ? error
        : new StoreUnavailableError('Sluice cannot reach its key store.', { cause: error });
    }
  }

  /** One lookup per key hash at a time: a burst of requests with one key asks once. */
  #ask(hash: string, changes: number): Promise<Found> {
    const asking = this.#asking.get(hash);
    // A lookup begun before a change made here might not see it: that one is not shared.
    if (asking !== undefined && asking.changes === changes) return asking.answer;
    const at = this.#clock();
    const answer = this.#store.findKeyByHash(hash).then((found) => {
      this.#remember(hash, { found, at, changes });
      return found;
    });
    const entry = { answer, changes };
    this.#asking.set(hash, entry);
    const done = () => {
      if (this.#asking.get(hash) === entry) this.#asking.delete(hash);
    };
    answer.then(done, done);
    return answer;
  }

  #remember(hash: string, answer: Remembered): void {
    const current = this.#remembered.get(hash);
    if (current !== undefined && current.at > answer.at) return; // a later lookup landed first
    this.#remembered.delete(hash);
    this.#remembered.set(hash, answer);
    if (this.#remembered.size > MAX_REMEMBERED) {
      const oldest = this.#remembered.keys().next().value;
      if (oldest !== undefined) this.#remembered.delete(oldest);
    }
  }
}

function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}
