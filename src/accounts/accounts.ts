/**
 * Users and keys as operations: what the CLI (`sluice users …`, `sluice keys …`) and the admin
 * API do, in one place, with the checks and errors both need. Failures are `SluiceError`s, so
 * the API renders them and the CLI prints their message.
 */
import {
  AmbiguousKeyError,
  ConflictError,
  InvalidExpiryError,
  InvalidFieldError,
  InvalidUsernameError,
  KeyNotFoundError,
  LastAdminError,
  UserNotFoundError,
  UsernameTakenError,
} from '../errors/index.ts';
import type { ApiKey, Limits, Role, Store, User } from '../store/types.ts';
import { generateKey } from './api-keys.ts';
import { noteKeyChange } from './key-changes.ts';
import type { RouteScope } from './route-scopes.ts';
import { checkPasswordStrength, hashPassword, verifyPassword } from './passwords.ts';

/** A key's name: a label in lists and logs. */
const MAX_KEY_NAME = 200;

export interface NewUserInput {
  readonly username: string;
  readonly password: string;
  /** Ignored for the first user, who becomes admin. */
  readonly role?: Role;
  readonly limits?: Limits;
  /** Only as the first user (first-run setup): `SetupDoneError` if there is one already. */
  readonly onlyFirst?: boolean;
}

export interface NewKeyInput {
  readonly username: string;
  readonly name?: string;
  readonly models?: readonly string[] | null;
  readonly expiresAt?: number | null;
  readonly limits?: Limits;
  /** `/v1` route scopes beyond inference (`files`, `batches`, …); none by default. */
  readonly routes?: readonly RouteScope[];
}

export interface CreatedKey {
  /** The secret itself: shown this once, never stored. */
  readonly secret: string;
  readonly key: ApiKey;
  readonly user: User;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export class Accounts {
  readonly #store: Store;
  readonly #defaults: { readonly key: Limits; readonly user: Limits };

  constructor(store: Store, defaults: { readonly key: Limits; readonly user: Limits }) {
    this.#store = store;
    this.#defaults = defaults;
  }

  async addUser(input: NewUserInput): Promise<User> {
    if (!USERNAME.test(input.username)) {
      throw new InvalidUsernameError();
    }
    checkPasswordStrength(input.password, input.username);
    try {
      return await this.#store.createUser({
        username: input.username,
        passwordHash: await hashPassword(input.password),
        role: input.role ?? 'user',
        limits: input.limits ?? this.#defaults.user,
        ...(input.onlyFirst === true ? { onlyFirst: true } : {}),
      });
    } catch (error) {
      if (error instanceof ConflictError) {
        throw new UsernameTakenError(input.username, error);
      }
      throw error;
    }
  }

  listUsers(): Promise<User[]> {
    return this.#store.listUsers();
  }

  async user(username: string): Promise<User> {
    const found = await this.#store.findUserByName(username);
    if (found === undefined) throw new UserNotFoundError(username);
    const { passwordHash: _hash, ...user } = found;
    return user;
  }

  /** Disabling also signs the user out everywhere: enabling again does not revive old sessions. */
  async setDisabled(username: string, disabled: boolean): Promise<User> {
    if (disabled) await this.#keepAnAdmin(username);
    const user = await this.#update(username, { disabled });
    if (disabled) await this.#store.revokeUserSessions(user.id, Date.now());
    return user;
  }

  /** A new password signs the user out of every browser (whoever knew the old one included). */
  async setPassword(username: string, password: string): Promise<User> {
    checkPasswordStrength(password, username);
    const user = await this.#update(username, { passwordHash: await hashPassword(password) });
    await this.#store.revokeUserSessions(user.id, Date.now());
    return user;
  }

  async setRole(username: string, role: Role): Promise<User> {
    if (role !== 'admin') await this.#keepAnAdmin(username);
    return this.#update(username, { role });
  }

  /** Refuses to disable or demote the last active admin: nobody could manage Sluice after. */
  async #keepAnAdmin(username: string): Promise<void> {
    const target = await this.user(username);
    if (target.role !== 'admin' || target.disabled) return;
    const admins = (await this.#store.listUsers()).filter((u) => u.role === 'admin' && !u.disabled);
    if (admins.length <= 1) {
      throw new LastAdminError(
        `"${username}" is the last active admin; make another user admin first.`,
      );
    }
  }

  async setLimits(username: string, limits: Limits): Promise<User> {
    return this.#update(username, { limits });
  }

  /** The id of the user a name signs in as (any case), or undefined: one lookup either way. */
  async idOf(username: string): Promise<string | undefined> {
    return (await this.#store.findUserByName(username))?.id;
  }

  /** The user behind a username and password, or undefined; the same work either way. */
  async checkPassword(username: string, password: string): Promise<User | undefined> {
    const user = await this.#store.findUserByName(username);
    // Hash even for unknown users, so timing does not tell which usernames exist.
    const stored = user?.passwordHash ?? (await dummyHash());
    const ok = await verifyPassword(password, stored);
    return ok && user !== undefined ? user : undefined;
  }

  async createKey(input: NewKeyInput): Promise<CreatedKey> {
    // A name is a label in lists and logs: a 5 000-character one was kept and shown whole.
    if (input.name !== undefined && input.name.length > MAX_KEY_NAME)
      throw new InvalidFieldError('name', `A key's name is at most ${MAX_KEY_NAME} characters.`);
    const user = await this.user(input.username);
    if (
      input.expiresAt !== undefined &&
      input.expiresAt !== null &&
      input.expiresAt <= Date.now()
    ) {
      throw new InvalidExpiryError();
    }
    const generated = generateKey();
    const key = await this.#store.createKey({
      userId: user.id,
      name: input.name ?? '',
      prefix: generated.prefix,
      hash: generated.hash,
      expiresAt: input.expiresAt ?? null,
      models: input.models ?? null,
      limits: input.limits ?? this.#defaults.key,
      routes: input.routes ?? [],
    });
    return { secret: generated.key, key, user };
  }

  async listKeys(username?: string): Promise<{ key: ApiKey; user: User | undefined }[]> {
    const users = new Map((await this.#store.listUsers()).map((u) => [u.id, u]));
    const filter = username === undefined ? {} : { userId: (await this.user(username)).id };
    return (await this.#store.listKeys(filter)).map((key) => ({
      key,
      user: users.get(key.userId),
    }));
  }

  /** Revokes by id or by a prefix that names exactly one key. */
  async revokeKey(idOrPrefix: string): Promise<ApiKey> {
    const key = (await this.#store.getKey(idOrPrefix)) ?? (await this.#byPrefix(idOrPrefix));
    const revoked = await this.#store.revokeKey(key.id, Date.now());
    noteKeyChange(this.#store);
    if (revoked === undefined) throw new KeyNotFoundError(`There is no key "${idOrPrefix}".`);
    return revoked;
  }

  async #byPrefix(prefix: string): Promise<ApiKey> {
    const matches = (await this.#store.listKeys()).filter(
      (k) => k.revokedAt === null && k.prefix.startsWith(prefix),
    );
    if (matches.length === 1 && matches[0] !== undefined) return matches[0];
    if (matches.length === 0)
      throw new KeyNotFoundError(`There is no key with id or prefix "${prefix}".`);
    throw new AmbiguousKeyError(prefix, matches.length);
  }

  async #update(username: string, patch: Parameters<Store['updateUser']>[1]): Promise<User> {
    const user = await this.user(username);
    const updated = await this.#store.updateUser(user.id, patch);
    noteKeyChange(this.#store); // a key's principal carries its user: role, limits, disabled
    if (updated === undefined) throw new UserNotFoundError(username);
    return updated;
  }
}

let dummy: Promise<string> | undefined;

/** A valid hash of a random password, verified against when the username does not exist. */
function dummyHash(): Promise<string> {
  dummy ??= hashPassword(`no-such-user-${Math.random()}`);
  return dummy;
}
