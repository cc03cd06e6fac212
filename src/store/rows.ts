/**
 * Rows ↔ objects, shared by both engines (they return the same column names and, with pg's
 * int8 parser set per pool, the same JS types). A value of the wrong type means the schema
 * and the code disagree: that is a bug, reported with the column's name.
 */
import type { Row, SqlValue } from './db.ts';
import {
  type ApiKey,
  type BudgetPeriod,
  type Limits,
  type Role,
  type UpstreamTry,
  USAGE_END_REASONS,
  type UsageRecord,
  type User,
  type UserWithPassword,
} from './types.ts';

const ROLES: readonly Role[] = ['admin', 'user'];
const PERIODS: readonly BudgetPeriod[] = ['day', 'month', 'total'];
const USAGE_SOURCES: readonly ('upstream' | 'estimate')[] = ['upstream', 'estimate'];

export const LIMIT_COLUMNS = [
  'rpm',
  'tpm',
  'max_streams',
  'budget_tokens',
  'budget_cost',
  'budget_period',
] as const;

export const USER_COLUMNS = [
  'id',
  'username',
  'password_hash',
  'role',
  'disabled',
  'created_at',
  'updated_at',
  ...LIMIT_COLUMNS,
] as const;

export const KEY_COLUMNS = [
  'id',
  'user_id',
  'name',
  'prefix',
  'hash',
  'created_at',
  'last_used_at',
  'expires_at',
  'revoked_at',
  'models',
  ...LIMIT_COLUMNS,
  'routes',
] as const;

/** `t.col AS <prefix>col, …`, for joins whose two tables share column names. */
export function selectList(columns: readonly string[], table: string, prefix = ''): string {
  return columns.map((c) => `${table}.${c} AS ${prefix}${c}`).join(', ');
}

export function limitsToParams(limits: Limits): SqlValue[] {
  return [
    limits.rpm,
    limits.tpm,
    limits.maxStreams,
    limits.budgetTokens,
    limits.budgetCost,
    limits.budgetPeriod,
  ];
}

export function limitsFromRow(row: Row, prefix = ''): Limits {
  return {
    rpm: numberOrNull(row, `${prefix}rpm`),
    tpm: numberOrNull(row, `${prefix}tpm`),
    maxStreams: numberOrNull(row, `${prefix}max_streams`),
    budgetTokens: numberOrNull(row, `${prefix}budget_tokens`),
    budgetCost: numberOrNull(row, `${prefix}budget_cost`),
    budgetPeriod: oneOf(row, `${prefix}budget_period`, PERIODS),
  };
}

export function userFromRow(row: Row, prefix = ''): User {
  return {
    id: text(row, `${prefix}id`),
    username: text(row, `${prefix}username`),
    role: oneOf(row, `${prefix}role`, ROLES),
    disabled: number(row, `${prefix}disabled`) !== 0,
    createdAt: number(row, `${prefix}created_at`),
    updatedAt: number(row, `${prefix}updated_at`),
    limits: limitsFromRow(row, prefix),
  };
}

export function userWithPasswordFromRow(row: Row): UserWithPassword {
  return { ...userFromRow(row), passwordHash: text(row, 'password_hash') };
}

export function keyFromRow(row: Row, prefix = ''): ApiKey {
  return {
    id: text(row, `${prefix}id`),
    userId: text(row, `${prefix}user_id`),
    name: text(row, `${prefix}name`),
    prefix: text(row, `${prefix}prefix`),
    createdAt: number(row, `${prefix}created_at`),
    lastUsedAt: numberOrNull(row, `${prefix}last_used_at`),
    expiresAt: numberOrNull(row, `${prefix}expires_at`),
    revokedAt: numberOrNull(row, `${prefix}revoked_at`),
    models: stringsFromJson(row, `${prefix}models`),
    limits: limitsFromRow(row, prefix),
    routes: stringsFromJson(row, `${prefix}routes`) ?? [],
  };
}

/** A list column (models, routes): a JSON array of strings, or NULL. */
export function stringsToJson(list: readonly string[] | null): string | null {
  return list === null ? null : JSON.stringify(list);
}

function stringsFromJson(row: Row, column: string): string[] | null {
  const json = textOrNull(row, column);
  if (json === null) return null;
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((m) => typeof m === 'string')) {
    throw new Error(`store: column ${column} holds ${json}, expected a JSON array of strings`);
  }
  return parsed;
}

/** The usage_records columns, in the order `usageToParams` gives their values. */
export const USAGE_COLUMNS = [
  'id',
  'started_at',
  'ended_at',
  'user_id',
  'username',
  'key_id',
  'key_prefix',
  'client_ip',
  'model',
  'upstream',
  'endpoint',
  'status',
  'upstream_ttfb_ms',
  'client_ttfb_ms',
  'events',
  'bytes',
  'max_gap_ms',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'cost',
  'end_reason',
  'usage_source',
  'instance_id',
  'requested_model',
  'client_ttft_ms',
  'tries',
  'searches',
] as const;

export function usageToParams(r: UsageRecord): SqlValue[] {
  return [
    r.id,
    r.startedAt,
    r.endedAt,
    r.userId,
    r.username,
    r.keyId,
    r.keyPrefix,
    r.clientIp,
    r.model,
    r.upstream,
    r.endpoint,
    r.status,
    r.upstreamTtfbMs,
    r.clientTtfbMs,
    r.events,
    r.bytes,
    r.maxGapMs,
    r.promptTokens,
    r.completionTokens,
    r.cachedTokens,
    r.reasoningTokens,
    r.cost,
    // A record that has not ended reads as incomplete, whatever the caller put there.
    r.endedAt === null ? 'incomplete' : r.endReason,
    r.usageSource,
    r.instanceId,
    r.requestedModel,
    r.clientTtftMs,
    r.tries === null ? null : JSON.stringify(r.tries),
    r.searches,
  ];
}

export function usageFromRow(row: Row): UsageRecord {
  const source = textOrNull(row, 'usage_source');
  return {
    id: text(row, 'id'),
    startedAt: number(row, 'started_at'),
    endedAt: numberOrNull(row, 'ended_at'),
    userId: textOrNull(row, 'user_id'),
    username: textOrNull(row, 'username'),
    keyId: textOrNull(row, 'key_id'),
    keyPrefix: textOrNull(row, 'key_prefix'),
    clientIp: textOrNull(row, 'client_ip'),
    model: textOrNull(row, 'model'),
    upstream: textOrNull(row, 'upstream'),
    endpoint: text(row, 'endpoint'),
    status: numberOrNull(row, 'status'),
    upstreamTtfbMs: numberOrNull(row, 'upstream_ttfb_ms'),
    clientTtfbMs: numberOrNull(row, 'client_ttfb_ms'),
    events: number(row, 'events'),
    bytes: number(row, 'bytes'),
    maxGapMs: numberOrNull(row, 'max_gap_ms'),
    promptTokens: number(row, 'prompt_tokens'),
    completionTokens: number(row, 'completion_tokens'),
    cachedTokens: number(row, 'cached_tokens'),
    reasoningTokens: number(row, 'reasoning_tokens'),
    cost: numberOrNull(row, 'cost'),
    endReason: oneOf(row, 'end_reason', USAGE_END_REASONS),
    usageSource: source === null ? null : oneOf(row, 'usage_source', USAGE_SOURCES),
    instanceId: textOrNull(row, 'instance_id'),
    requestedModel: textOrNull(row, 'requested_model'),
    clientTtftMs: numberOrNull(row, 'client_ttft_ms'),
    tries: triesOf(textOrNull(row, 'tries')),
    searches: number(row, 'searches'),
  };
}

/** The tries column: a JSON list this file wrote; anything else reads as none. */
function triesOf(json: string | null): readonly UpstreamTry[] | null {
  if (json === null) return null;
  try {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed)) return null;
    return parsed.flatMap((entry: unknown) => {
      if (typeof entry !== 'object' || entry === null) return [];
      const { upstream, answer } = entry as Record<string, unknown>;
      return typeof upstream === 'string' && typeof answer === 'string'
        ? [{ upstream, answer }]
        : [];
    });
  } catch {
    return null;
  }
}

export function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw mismatch(column, value, 'text');
  return value;
}

export function textOrNull(row: Row, column: string): string | null {
  const value = row[column];
  return value === null ? null : text(row, column);
}

export function number(row: Row, column: string): number {
  const value = row[column];
  if (typeof value !== 'number') throw mismatch(column, value, 'a number');
  return value;
}

export function numberOrNull(row: Row, column: string): number | null {
  const value = row[column];
  return value === null ? null : number(row, column);
}

export function oneOf<T extends string>(row: Row, column: string, allowed: readonly T[]): T {
  const value = text(row, column);
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw mismatch(column, value, allowed.join(' | '));
  return found;
}

function mismatch(column: string, value: unknown, expected: string): Error {
  const shown =
    typeof value === 'string' || typeof value === 'number' ? JSON.stringify(value) : typeof value;
  return new Error(`store: column ${column} holds ${shown}, expected ${expected}`);
}
