/**
 * Reading the admin API's JSON bodies: each field checked for its type, unknown fields refused
 * (a misspelt `disable` must not silently do nothing), every problem a 400 naming the field.
 */
import { parseRouteScopes, ROUTE_SCOPES, type RouteScope } from '../accounts/index.ts';
import { InvalidFieldError, UnknownFieldError } from '../errors/index.ts';
import type { BudgetPeriod, Limits, Role } from '../store/types.ts';
import { parseExpiry } from './params.ts';

export function rejectUnknownFields(body: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(body).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new UnknownFieldError(
      unknown[0] ?? '',
      `Unknown field ${unknown.map((n) => `"${n}"`).join(', ')}; this request takes ${known.join(', ')}.`,
    );
  }
}

export function requiredString(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value === 'string' && value !== '') return value;
  throw invalid(
    name,
    value === undefined ? `"${name}" is required.` : `"${name}" must be a non-empty string.`,
  );
}

export function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  return body[name] === undefined ? undefined : requiredString(body, name);
}

export function optionalBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || typeof value === 'boolean') return value;
  throw invalid(name, `"${name}" must be true or false.`);
}

export function optionalRole(body: Record<string, unknown>, name: string): Role | undefined {
  const value = body[name];
  if (value === undefined || value === 'admin' || value === 'user') return value;
  throw invalid(name, `"${name}" must be "admin" or "user".`);
}

/** `["gpt-4o", "claude-*"]`, or `null` for every model. */
/** `routes`: an array of `/v1` route scopes (`["files", "batches"]`); empty or absent for none. */
export function optionalRoutes(
  body: Record<string, unknown>,
  name: string,
): RouteScope[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  const scopes =
    Array.isArray(value) && value.every((s): s is string => typeof s === 'string')
      ? parseRouteScopes(value)
      : undefined;
  if (scopes === undefined) {
    throw invalid(
      name,
      `"${name}" must be an array of route scopes from: ${ROUTE_SCOPES.join(', ')}.`,
    );
  }
  return scopes;
}

export function optionalModels(
  body: Record<string, unknown>,
  name: string,
): string[] | null | undefined {
  const value = body[name];
  if (value === undefined || value === null) return value;
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((m): m is string => typeof m === 'string' && m.trim() !== '')
  ) {
    return value.map((m) => m.trim());
  }
  throw invalid(
    name,
    `"${name}" must be a non-empty array of model names or patterns like "gpt-*", or null for every model.`,
  );
}

/** An ISO time (or a span from now such as "30d") in the future, or `null` for never. */
export function optionalExpiry(
  body: Record<string, unknown>,
  name: string,
  now: number,
): number | null | undefined {
  const value = body[name];
  if (value === undefined || value === null) return value;
  const ms = typeof value === 'string' ? parseExpiry(value, now) : undefined;
  if (ms !== undefined) return ms;
  throw invalid(
    name,
    `"${name}" must be an ISO 8601 time such as "2027-01-31T00:00:00Z", or null for never.`,
  );
}

/** Counts are kept as 64-bit integers, read back as JavaScript numbers: exact up to 2^53 − 1. */
const WHOLE_LIMIT = `a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`;

const NUMBER_FIELDS = [
  ['rpm', 'rpm', true],
  ['tpm', 'tpm', true],
  ['max_streams', 'maxStreams', true],
  ['budget_tokens', 'budgetTokens', true],
  ['budget_cost', 'budgetCost', false],
] as const;
const PERIODS: readonly BudgetPeriod[] = ['day', 'month', 'total'];
const LIMIT_FIELDS = [...NUMBER_FIELDS.map(([field]) => field), 'budget_period'];

/**
 * Limits as `limitsView` shows them (snake_case), merged over `base`: a field left out keeps
 * the base value, `null` removes that limit.
 */
export function optionalLimits(
  body: Record<string, unknown>,
  name: string,
  base: Limits,
): Limits | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(name, `"${name}" must be an object such as {"rpm": 60, "max_streams": 4}.`);
  }
  const raw = value as Record<string, unknown>;
  rejectUnknownFields(raw, LIMIT_FIELDS);
  const limits: { -readonly [K in keyof Limits]: Limits[K] } = { ...base };
  for (const [field, key, whole] of NUMBER_FIELDS) {
    const v = raw[field];
    if (v === undefined) continue;
    if (
      v === null ||
      (typeof v === 'number' && v > 0 && Number.isFinite(v) && (!whole || Number.isSafeInteger(v)))
    ) {
      limits[key] = v;
      continue;
    }
    throw invalid(
      `${name}.${field}`,
      `"${name}.${field}" must be ${whole ? WHOLE_LIMIT : 'a number above 0'}, or null for no limit.`,
    );
  }
  const period = raw.budget_period;
  if (period !== undefined) {
    if (!PERIODS.includes(period as BudgetPeriod)) {
      throw invalid(
        `${name}.budget_period`,
        `"${name}.budget_period" must be "day", "month" or "total".`,
      );
    }
    limits.budgetPeriod = period as BudgetPeriod;
  }
  return limits;
}

function invalid(param: string, message: string): InvalidFieldError {
  return new InvalidFieldError(param, message);
}
