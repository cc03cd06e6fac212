/**
 * What Sluice keeps: users, their API keys, and one usage record per request. One interface,
 * two backends (SQLite through node:sqlite, PostgreSQL through pg); the same test suite runs
 * against both. Times are epoch milliseconds everywhere.
 */

export type Role = 'admin' | 'user';

/** `day` and `month` are UTC calendar periods; `total` never resets. */
export type BudgetPeriod = 'day' | 'month' | 'total';

/** Limits on a key or a user; `null` means no limit of that kind. */
export interface Limits {
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly maxStreams: number | null;
  readonly budgetTokens: number | null;
  /** In the price table's currency (USD). */
  readonly budgetCost: number | null;
  readonly budgetPeriod: BudgetPeriod;
}

export const NO_LIMITS: Limits = {
  rpm: null,
  tpm: null,
  maxStreams: null,
  budgetTokens: null,
  budgetCost: null,
  budgetPeriod: 'month',
};

export interface User {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly limits: Limits;
}

/** A user with the password hash, for sign-in only. */
export interface UserWithPassword extends User {
  readonly passwordHash: string;
}

export interface ApiKey {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /** The visible start of the key, e.g. `sk-sluice-ab12cd`; the key itself is never stored. */
  readonly prefix: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  /** Model name patterns (`*` wildcard) the key may use; `null` for every model. */
  readonly models: readonly string[] | null;
  readonly limits: Limits;
  /** `/v1` route scopes granted beyond inference (`files`, `batches`, …); empty for none. */
  readonly routes: readonly string[];
}

/**
 * How a request ended. `shutdown`: cut at the drain deadline; `interrupted`: closed at a later
 * start because the process that served it died before it ended.
 */
export type EndReason =
  | 'done'
  | 'client_cancelled'
  | 'upstream_error'
  | 'timeout'
  | 'rejected'
  | 'shutdown'
  | 'interrupted';

export interface UsageRecord {
  readonly id: string;
  readonly startedAt: number;
  /** `null` while the request runs; a record left so by a crash reads as `incomplete`. */
  readonly endedAt: number | null;
  readonly userId: string | null;
  readonly username: string | null;
  readonly keyId: string | null;
  readonly keyPrefix: string | null;
  readonly clientIp: string | null;
  readonly model: string | null;
  readonly upstream: string | null;
  readonly endpoint: string;
  readonly status: number | null;
  readonly upstreamTtfbMs: number | null;
  readonly clientTtfbMs: number | null;
  readonly events: number;
  readonly bytes: number;
  readonly maxGapMs: number | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number;
  readonly reasoningTokens: number;
  /** Web searches the model ran, billed per search (part of `cost`). */
  readonly searches: number;
  readonly cost: number | null;
  readonly endReason: EndReason | 'incomplete';
  readonly usageSource: 'upstream' | 'estimate' | null;
  /** The process that served it (`null` in records older than instance ids). */
  readonly instanceId: string | null;
  /** The alias the client asked for, when `model` is what an upstream knows it by. */
  readonly requestedModel: string | null;
  /** Time to first token: the first event carrying content reached the client (ms). */
  readonly clientTtftMs: number | null;
  /** Every upstream tried, in order (a failover shows as two); `null` when none was. */
  readonly tries: readonly UpstreamTry[] | null;
}

/** One try of an upstream, and how it answered. */
export interface UpstreamTry {
  readonly upstream: string;
  /** The HTTP status, or `unreachable`, `timeout`, `broken`, `cancelled` (the client left). */
  readonly answer: string;
}

/** Every way a record can end, `incomplete` (still running, or left so by a crash) included. */
export const USAGE_END_REASONS: readonly (EndReason | 'incomplete')[] = [
  'done',
  'client_cancelled',
  'upstream_error',
  'timeout',
  'rejected',
  'shutdown',
  'interrupted',
  'incomplete',
];

/** HTTP statuses from `from` up to, not including, `to`: `[429, 430)`, or `[400, 500)` for 4xx. */
export interface StatusRange {
  readonly from: number;
  readonly to: number;
}

/** A record's place in the newest-first order (`started_at`, then `id`), where a page ended. */
export interface UsageCursor {
  readonly startedAt: number;
  readonly id: string;
}

/** Which records; every field given must hold (AND). */
export interface UsageFilter {
  /** The request id (`x-sluice-request-id`). */
  readonly id?: string;
  readonly userId?: string;
  readonly keyId?: string;
  /** Records of keys whose visible prefix starts with this (`sk-sluice-ab`, `web`, `admin`). */
  readonly keyPrefix?: string;
  /** The model served, or the name the client asked for when that was an alias. */
  readonly model?: string;
  /** The upstream that answered. */
  readonly upstream?: string;
  /** Records without a status (still running) never match. */
  readonly status?: StatusRange;
  readonly endReason?: EndReason | 'incomplete';
  /** Records that started at or after this time. */
  readonly since?: number;
  /** Records that started before this time. */
  readonly until?: number;
  /** Only records after this one in the newest-first order: the next page. */
  readonly after?: UsageCursor;
  /** Newest first, at most this many (default 1000). */
  readonly limit?: number;
}

export type UsageGroup = 'user' | 'key' | 'model' | 'day';

export interface UsageSummaryRow {
  /** The grouping values, e.g. `{ user: 'ada', day: '2026-11-24' }`. */
  readonly group: Readonly<Partial<Record<UsageGroup, string | null>>>;
  readonly requests: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Of the prompt tokens, those read from the provider's cache. */
  readonly cachedTokens: number;
  /** Of the completion tokens, those spent reasoning. */
  readonly reasoningTokens: number;
  /** Web searches paid for. */
  readonly searches: number;
  readonly cost: number;
  /** Median client time to first byte, ms, over requests that had one. */
  readonly clientTtfbMsP50: number | null;
}

export interface NewUser {
  readonly username: string;
  readonly passwordHash: string;
  /** Ignored for the first user, who is always `admin`. Default `user`. */
  readonly role?: Role;
  readonly limits?: Limits;
  /** Only as the first user (first-run setup): `SetupDoneError` if there is one already. */
  readonly onlyFirst?: boolean;
}

export interface UserPatch {
  readonly passwordHash?: string;
  readonly disabled?: boolean;
  readonly role?: Role;
  readonly limits?: Limits;
}

export interface KeyPatch {
  readonly limits?: Limits;
}

export interface NewKey {
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  /** SHA-256 of the key, hex. */
  readonly hash: string;
  readonly expiresAt: number | null;
  readonly models: readonly string[] | null;
  readonly limits: Limits;
  readonly routes: readonly string[];
}

/** A provider object created through Sluice, and whose it is. */
export interface OwnedObject {
  /** The route scope it belongs to (`files`, `batches`, …). */
  readonly scope: string;
  /** The provider's id for it. */
  readonly id: string;
  readonly userId: string;
  /** The upstream that holds it. */
  readonly upstream: string | null;
}

export interface MigrationReport {
  readonly applied: readonly { readonly version: number; readonly name: string }[];
  readonly current: number;
}

/** A signed-in browser. The id is a hash of the cookie's token; the token itself is not kept. */
export interface Session {
  readonly id: string;
  readonly userId: string;
  /** The token the page must echo in `X-CSRF-Token` on every state-changing request. */
  readonly csrf: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export interface Conversation {
  readonly id: string;
  readonly userId: string;
  readonly title: string;
  readonly model: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** `streaming` while an answer is being written; `stopped` when the user stopped it. */
export type MessageStatus = 'complete' | 'streaming' | 'stopped' | 'error';

export interface Message {
  readonly id: string;
  readonly conversationId: string;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly status: MessageStatus;
  readonly model: string | null;
  /** The usage record of the request that wrote an answer. */
  readonly requestId: string | null;
  readonly error: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewMessage {
  readonly conversationId: string;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly status: MessageStatus;
  readonly model: string | null;
}

export interface MessagePatch {
  readonly content?: string;
  readonly status?: MessageStatus;
  readonly requestId?: string | null;
  readonly error?: string | null;
}

/** Sessions and conversations, for the chat service and its web page. */
export interface ChatStore {
  createSession(session: Omit<Session, 'createdAt' | 'lastSeenAt' | 'revokedAt'>): Promise<Session>;
  /** The session and its user, revoked or expired ones included (the caller decides). */
  findSession(id: string): Promise<{ session: Session; user: User } | undefined>;
  touchSession(id: string, at: number): Promise<void>;
  revokeSession(id: string, at: number): Promise<void>;
  /** Every session of a user, e.g. when the account is disabled or its password changes. */
  revokeUserSessions(userId: string, at: number): Promise<void>;

  createConversation(conversation: {
    userId: string;
    title: string;
    model: string | null;
  }): Promise<Conversation>;
  getConversation(id: string): Promise<Conversation | undefined>;
  /** Most recently updated first. */
  listConversations(userId: string): Promise<Conversation[]>;
  updateConversation(
    id: string,
    patch: { title?: string; model?: string | null },
  ): Promise<Conversation | undefined>;
  /** Deletes it with its messages. */
  deleteConversation(id: string): Promise<void>;

  addMessage(message: NewMessage): Promise<Message>;
  updateMessage(id: string, patch: MessagePatch): Promise<void>;
  deleteMessage(id: string): Promise<void>;
  /** Oldest first. */
  listMessages(conversationId: string): Promise<Message[]>;
}

export interface Store extends ChatStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations; safe to run from several processes at once. */
  migrate(): Promise<MigrationReport>;
  /** Cheap round trip, for readiness. Throws StoreUnavailableError when down. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** The first user ever created becomes `admin`, atomically. Duplicate name → ConflictError. */
  createUser(user: NewUser): Promise<User>;
  /** Usernames compare case-insensitively. */
  findUserByName(username: string): Promise<UserWithPassword | undefined>;
  getUser(id: string): Promise<User | undefined>;
  listUsers(): Promise<User[]>;
  countUsers(): Promise<number>;
  /** Returns the updated user, or undefined if there is none with that id. */
  updateUser(id: string, patch: UserPatch): Promise<User | undefined>;

  createKey(key: NewKey): Promise<ApiKey>;
  /** The key with this hash and its owner, revoked and expired ones included (the caller decides). */
  findKeyByHash(hash: string): Promise<{ key: ApiKey; user: User } | undefined>;
  getKey(id: string): Promise<ApiKey | undefined>;
  listKeys(filter?: { readonly userId?: string }): Promise<ApiKey[]>;
  /** Returns the updated key, or undefined if there is none with that id. */
  updateKey(id: string, patch: KeyPatch): Promise<ApiKey | undefined>;
  /** Sets revokedAt (if not yet set); returns the key, or undefined if there is none. */
  revokeKey(id: string, at: number): Promise<ApiKey | undefined>;
  /** Records last use, keeping the later time; unknown ids are ignored. */
  touchKeys(lastUsed: ReadonlyMap<string, number>): Promise<void>;

  /** Records who created these provider objects; an object already recorded keeps its owner. */
  recordObjects(objects: readonly OwnedObject[]): Promise<void>;
  /** The recorded objects of `scope` among `ids`. */
  findObjects(scope: string, ids: readonly string[]): Promise<OwnedObject[]>;

  /**
   * Marks this process alive as `instance` for as long as the store is open: SQLite by a socket
   * beside its file that this process listens on, PostgreSQL by an advisory lock held on a
   * connection of its own (released by the server when the process dies).
   */
  claimInstance(instance: string): Promise<void>;
  /** Whether some process holds `instance` alive now. */
  instanceAlive(instance: string): Promise<boolean>;
  /**
   * Whether `instance`, which the caller saw die, is let go of within `waitMs` (PostgreSQL
   * frees its lock only once the server notices the connection closed).
   */
  instanceReleased(instance: string, waitMs: number): Promise<boolean>;
  /** The instances other than `self` that have records still incomplete (`null`: unknown). */
  incompleteInstances(self: string): Promise<(string | null)[]>;
  /** Closes `instance`'s incomplete records as `interrupted`; resolves with how many. */
  closeInterrupted(instance: string | null, at: number): Promise<number>;

  /** Inserts or replaces records by id, all or nothing. */
  writeUsage(records: readonly UsageRecord[]): Promise<void>;
  listUsage(filter?: UsageFilter): Promise<UsageRecord[]>;
  /**
   * Sums over the records the filter selects (its `limit` and `after` do not apply), one row
   * per group. Model-list calls (`/v1/models`) are not counted: they are catalogue lookups,
   * made by the web page on every load, not work; they stay in the records (`listUsage`).
   */
  summarizeUsage(filter: UsageFilter, groupBy: readonly UsageGroup[]): Promise<UsageSummaryRow[]>;
  /** Tokens (prompt + completion) and cost of a key's or user's requests since a time. */
  usageTotals(
    subject: { readonly userId: string } | { readonly keyId: string },
    since: number,
  ): Promise<{ tokens: number; cost: number }>;
}
