/** Users and keys as the admin API and `--json` CLI output show them (snake_case, ISO times). */
import type { ApiKey, Limits, User } from '../store/types.ts';

export function limitsView(limits: Limits) {
  return {
    rpm: limits.rpm,
    tpm: limits.tpm,
    max_streams: limits.maxStreams,
    budget_tokens: limits.budgetTokens,
    budget_cost: limits.budgetCost,
    budget_period: limits.budgetPeriod,
  };
}

export function userView(user: User) {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    disabled: user.disabled,
    created_at: iso(user.createdAt),
    limits: limitsView(user.limits),
  };
}

export function keyView(key: ApiKey, user: User | undefined) {
  return {
    id: key.id,
    prefix: key.prefix,
    name: key.name,
    user: user?.username ?? null,
    created_at: iso(key.createdAt),
    last_used_at: iso(key.lastUsedAt),
    expires_at: iso(key.expiresAt),
    revoked_at: iso(key.revokedAt),
    models: key.models,
    routes: key.routes,
    limits: limitsView(key.limits),
  };
}

export function iso<T extends number | null>(ms: T): T extends number ? string : string | null {
  return (ms === null ? null : new Date(ms).toISOString()) as T extends number
    ? string
    : string | null;
}
