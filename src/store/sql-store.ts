/**
 * The `Store`, written once over `Db`: users and keys here, usage records in `usage.ts`. The
 * engine shows only through `db.dialect` and the locks `db.transaction` takes.
 */
import { SetupDoneError } from '../errors/index.ts';
import type { Db, SqlValue } from './db.ts';
import { newId } from './ids.ts';
import { migrate } from './migrate.ts';
import {
  KEY_COLUMNS,
  keyFromRow,
  LIMIT_COLUMNS,
  limitsToParams,
  stringsToJson,
  number,
  selectList,
  textOrNull,
  USER_COLUMNS,
  userFromRow,
  userWithPasswordFromRow,
} from './rows.ts';
import {
  type ApiKey,
  type Conversation,
  type Message,
  type MessagePatch,
  type MigrationReport,
  type NewMessage,
  type Session,
  type KeyPatch,
  type NewKey,
  type NewUser,
  type OwnedObject,
  NO_LIMITS,
  type Role,
  type Store,
  type UsageFilter,
  type UsageGroup,
  type UsageRecord,
  type UsageSummaryRow,
  type User,
  type UserPatch,
  type UserWithPassword,
} from './types.ts';
import { listUsage, summarizeUsage, usageTotals, writeUsage } from './usage.ts';
import * as chat from './chat.ts';
import { findObjects, recordObjects } from './objects.ts';

const USER_SELECT = `SELECT ${USER_COLUMNS.join(', ')} FROM users`;
const KEY_SELECT = `SELECT ${KEY_COLUMNS.join(', ')} FROM api_keys`;
const INSERT_USER = `INSERT INTO users (${USER_COLUMNS.join(', ')})
VALUES (${USER_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
const INSERT_KEY = `INSERT INTO api_keys (${KEY_COLUMNS.join(', ')})
VALUES (${KEY_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
const KEY_WITH_OWNER = `SELECT ${selectList(KEY_COLUMNS, 'k', 'k_')}, ${selectList(USER_COLUMNS, 'u', 'u_')}
FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = $1`;

export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly #db: Db;
  readonly #now: () => number;

  constructor(db: Db, now: () => number = Date.now) {
    this.#db = db;
    this.kind = db.dialect.kind;
    this.#now = now;
  }

  migrate(): Promise<MigrationReport> {
    return migrate(this.#db, undefined, this.#now);
  }

  async ping(): Promise<void> {
    await this.#db.all('SELECT 1 AS one');
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  createUser(user: NewUser): Promise<User> {
    // Count and insert under the users lock, so two first sign-ups cannot both become admin.
    return this.#db.transaction(async (tx) => {
      const [row] = await tx.all('SELECT COUNT(*) AS n FROM users');
      const first = row === undefined || number(row, 'n') === 0;
      // Checked under the lock: six setups at once made six admins when it was checked before.
      if (!first && user.onlyFirst === true) throw new SetupDoneError();
      const now = this.#now();
      const created: User = {
        id: newId('usr'),
        username: user.username,
        role: first ? 'admin' : (user.role ?? 'user'),
        disabled: false,
        createdAt: now,
        updatedAt: now,
        limits: user.limits ?? NO_LIMITS,
      };
      await tx.run(INSERT_USER, [
        created.id,
        created.username,
        user.passwordHash,
        created.role,
        0,
        now,
        now,
        ...limitsToParams(created.limits),
      ]);
      return created;
    }, 'users');
  }

  async findUserByName(username: string): Promise<UserWithPassword | undefined> {
    const [row] = await this.#db.all(`${USER_SELECT} WHERE lower(username) = lower($1)`, [
      username,
    ]);
    return row && userWithPasswordFromRow(row);
  }

  async getUser(id: string): Promise<User | undefined> {
    const [row] = await this.#db.all(`${USER_SELECT} WHERE id = $1`, [id]);
    return row && userFromRow(row);
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.#db.all(`${USER_SELECT} ORDER BY created_at, id`);
    return rows.map((row) => userFromRow(row));
  }

  async countUsers(): Promise<number> {
    const [row] = await this.#db.all('SELECT COUNT(*) AS n FROM users');
    return row === undefined ? 0 : number(row, 'n');
  }

  async updateUser(id: string, patch: UserPatch): Promise<User | undefined> {
    const sets: string[] = [];
    const params: SqlValue[] = [id];
    const set = (column: string, value: SqlValue) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.passwordHash !== undefined) set('password_hash', patch.passwordHash);
    if (patch.disabled !== undefined) set('disabled', patch.disabled ? 1 : 0);
    if (patch.role !== undefined) set('role', patch.role satisfies Role);
    if (patch.limits !== undefined) {
      const values = limitsToParams(patch.limits);
      LIMIT_COLUMNS.forEach((column, i) => {
        set(column, values[i] ?? null);
      });
    }
    set('updated_at', this.#now());
    await this.#db.run(`UPDATE users SET ${sets.join(', ')} WHERE id = $1`, params);
    return this.getUser(id);
  }

  async createKey(key: NewKey): Promise<ApiKey> {
    const created: ApiKey = {
      id: newId('key'),
      userId: key.userId,
      name: key.name,
      prefix: key.prefix,
      createdAt: this.#now(),
      lastUsedAt: null,
      expiresAt: key.expiresAt,
      revokedAt: null,
      models: key.models === null ? null : [...key.models],
      limits: key.limits,
      routes: [...key.routes],
    };
    await this.#db.run(INSERT_KEY, [
      created.id,
      created.userId,
      created.name,
      created.prefix,
      key.hash,
      created.createdAt,
      null,
      created.expiresAt,
      null,
      stringsToJson(created.models),
      ...limitsToParams(created.limits),
      created.routes.length === 0 ? null : stringsToJson(created.routes),
    ]);
    return created;
  }

  async findKeyByHash(hash: string): Promise<{ key: ApiKey; user: User } | undefined> {
    const [row] = await this.#db.all(KEY_WITH_OWNER, [hash]);
    return row && { key: keyFromRow(row, 'k_'), user: userFromRow(row, 'u_') };
  }

  async getKey(id: string): Promise<ApiKey | undefined> {
    const [row] = await this.#db.all(`${KEY_SELECT} WHERE id = $1`, [id]);
    return row && keyFromRow(row);
  }

  async listKeys(filter: { readonly userId?: string } = {}): Promise<ApiKey[]> {
    const rows =
      filter.userId === undefined
        ? await this.#db.all(`${KEY_SELECT} ORDER BY created_at, id`)
        : await this.#db.all(`${KEY_SELECT} WHERE user_id = $1 ORDER BY created_at, id`, [
            filter.userId,
          ]);
    return rows.map((row) => keyFromRow(row));
  }

  async updateKey(id: string, patch: KeyPatch): Promise<ApiKey | undefined> {
    if (patch.limits !== undefined) {
      const values = limitsToParams(patch.limits);
      await this.#db.run(
        `UPDATE api_keys SET ${LIMIT_COLUMNS.map((column, i) => `${column} = $${i + 2}`).join(', ')} WHERE id = $1`,
        [id, ...values],
      );
    }
    return this.getKey(id);
  }

  async revokeKey(id: string, at: number): Promise<ApiKey | undefined> {
    await this.#db.run('UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [
      id,
      at,
    ]);
    return this.getKey(id);
  }

  async touchKeys(lastUsed: ReadonlyMap<string, number>): Promise<void> {
    if (lastUsed.size === 0) return;
    // Sorted, so two instances touching the same keys lock their rows in the same order and
    // cannot deadlock.
    const entries = [...lastUsed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await this.#db.transaction(async (tx) => {
      for (const [id, at] of entries) {
        await tx.run(
          `UPDATE api_keys SET last_used_at = $2
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`,
          [id, at],
        );
      }
    });
  }

  recordObjects(objects: readonly OwnedObject[]): Promise<void> {
    return recordObjects(this.#db, objects, this.#now());
  }

  findObjects(scope: string, ids: readonly string[]): Promise<OwnedObject[]> {
    return findObjects(this.#db, scope, ids);
  }

  claimInstance(instance: string): Promise<void> {
    return this.#db.liveness.claim(instance);
  }

  instanceAlive(instance: string): Promise<boolean> {
    return this.#db.liveness.alive(instance);
  }

  instanceReleased(instance: string, waitMs: number): Promise<boolean> {
    return this.#db.liveness.released(instance, waitMs);
  }

  async incompleteInstances(self: string): Promise<(string | null)[]> {
    const rows = await this.#db.all(
      `SELECT DISTINCT instance_id FROM usage_records
WHERE end_reason = 'incomplete' AND (instance_id IS NULL OR instance_id <> $1)`,
      [self],
    );
    return rows.map((row) => textOrNull(row, 'instance_id'));
  }

  async closeInterrupted(instance: string | null, at: number): Promise<number> {
    const closed = await this.#db.run(
      `UPDATE usage_records SET end_reason = 'interrupted', ended_at = $2
WHERE end_reason = 'incomplete' AND ${instance === null ? 'instance_id IS NULL AND $1 IS NULL' : 'instance_id = $1'}`,
      [instance, at],
    );
    if (instance !== null) this.#db.liveness.forget(instance);
    return closed;
  }

  writeUsage(records: readonly UsageRecord[]): Promise<void> {
    return writeUsage(this.#db, records);
  }

  listUsage(filter?: UsageFilter): Promise<UsageRecord[]> {
    return listUsage(this.#db, filter);
  }

  summarizeUsage(filter: UsageFilter, groupBy: readonly UsageGroup[]): Promise<UsageSummaryRow[]> {
    return summarizeUsage(this.#db, filter, groupBy);
  }

  usageTotals(
    subject: { readonly userId: string } | { readonly keyId: string },
    since: number,
  ): Promise<{ tokens: number; cost: number }> {
    return usageTotals(this.#db, subject, since);
  }

  createSession(
    session: Omit<Session, 'createdAt' | 'lastSeenAt' | 'revokedAt'>,
  ): Promise<Session> {
    return chat.createSession(this.#db, session, this.#now());
  }

  findSession(id: string): Promise<{ session: Session; user: User } | undefined> {
    return chat.findSession(this.#db, id);
  }

  touchSession(id: string, at: number): Promise<void> {
    return chat.updateSessions(
      this.#db,
      'UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2',
      [id, at],
    );
  }

  revokeSession(id: string, at: number): Promise<void> {
    return chat.updateSessions(
      this.#db,
      'UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL',
      [id, at],
    );
  }

  revokeUserSessions(userId: string, at: number): Promise<void> {
    return chat.updateSessions(
      this.#db,
      'UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL',
      [userId, at],
    );
  }

  createConversation(conversation: {
    userId: string;
    title: string;
    model: string | null;
  }): Promise<Conversation> {
    return chat.createConversation(this.#db, conversation, this.#now());
  }

  getConversation(id: string): Promise<Conversation | undefined> {
    return chat.getConversation(this.#db, id);
  }

  listConversations(userId: string): Promise<Conversation[]> {
    return chat.listConversations(this.#db, userId);
  }

  updateConversation(
    id: string,
    patch: { title?: string; model?: string | null },
  ): Promise<Conversation | undefined> {
    return chat.updateConversation(this.#db, id, patch, this.#now());
  }

  deleteConversation(id: string): Promise<void> {
    return chat.deleteConversation(this.#db, id);
  }

  addMessage(message: NewMessage): Promise<Message> {
    return chat.addMessage(this.#db, message, this.#now());
  }

  updateMessage(id: string, patch: MessagePatch): Promise<void> {
    return chat.updateMessage(this.#db, id, patch, this.#now());
  }

  async deleteMessage(id: string): Promise<void> {
    await this.#db.run('DELETE FROM messages WHERE id = $1', [id]);
  }

  listMessages(conversationId: string): Promise<Message[]> {
    return chat.listMessages(this.#db, conversationId);
  }
}
