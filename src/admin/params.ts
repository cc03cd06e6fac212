/**
 * Times, groupings and lists written as text. The CLI's flags and the admin API's query and
 * body fields read them the same way; each function returns `undefined` for text it cannot
 * read, and the caller raises its own kind of error (a usage error, a 400).
 */
import {
  type EndReason,
  type StatusRange,
  USAGE_END_REASONS,
  type UsageGroup,
} from '../store/types.ts';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** The longest span read: a thousand years, so that now ± a span is a time every store keeps. */
const MAX_SPAN_MS = 1000 * 365.25 * 86_400_000;

/**
 * `30s`, `15m`, `24h`, `7d`, `2w` in ms, up to a thousand years; `m` is minutes (months vary,
 * so they are not offered).
 */
export function parseSpan(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  const unit = match?.[2] === undefined ? undefined : UNIT_MS[match[2]];
  if (match === null || unit === undefined) return undefined;
  const ms = Math.round(Number(match[1]) * unit);
  return ms > 0 && ms <= MAX_SPAN_MS ? ms : undefined;
}

/**
 * An ISO 8601 date or date-time (`2026-11-24`, `2026-11-24T10:00:00Z`), in epoch ms. Only text
 * that starts like a date is tried: `Date.parse` alone accepts oddities such as `"1"`.
 */
export function parseIsoTime(text: string): number | undefined {
  const trimmed = text.trim();
  if (
    !/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i.test(
      trimmed,
    )
  ) {
    return undefined;
  }
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) || !onTheCalendar(trimmed) ? undefined : ms;
}

/**
 * The date and hour of an ISO time exist: `Date.parse` rolls `2026-02-30` over to March and
 * `T24:00` to the next day instead of refusing them.
 */
function onTheCalendar(iso: string): boolean {
  const [year, month, day] = iso.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  const hour = iso.length > 10 ? Number(iso.slice(11, 13)) : 0;
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24;
}

/** A point in the past: an ISO time, or a span ago (`7d` is seven days before `now`). */
export function parseInstant(text: string, now: number): number | undefined {
  const span = parseSpan(text);
  return span === undefined ? parseIsoTime(text) : now - span;
}

/** An expiry: an ISO time, or a span from now (`30d`). */
export function parseExpiry(text: string, now: number): number | undefined {
  const span = parseSpan(text);
  return span === undefined ? parseIsoTime(text) : now + span;
}

export const USAGE_GROUPS: readonly UsageGroup[] = ['user', 'key', 'model', 'day'];

/** `user,model,day` → the groupings, in that order; empty text groups nothing (totals only). */
export function parseUsageGroups(text: string): UsageGroup[] | undefined {
  const names = splitList(text);
  const groups = names.filter((n): n is UsageGroup =>
    (USAGE_GROUPS as readonly string[]).includes(n),
  );
  return groups.length === names.length ? [...new Set(groups)] : undefined;
}

/** `gpt-4o,claude-*` → the model patterns; `undefined` when there are none. */
export function parseModelList(text: string): string[] | undefined {
  const models = splitList(text);
  return models.length === 0 ? undefined : models;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** `429` is that status; `4xx` is the class, 400 to 499. */
export function parseStatusRange(text: string): StatusRange | undefined {
  const trimmed = text.trim().toLowerCase();
  if (/^[1-5]\d\d$/.test(trimmed)) return { from: Number(trimmed), to: Number(trimmed) + 1 };
  const digit = /^([1-5])xx$/.exec(trimmed)?.[1];
  return digit === undefined
    ? undefined
    : { from: Number(digit) * 100, to: Number(digit) * 100 + 100 };
}

/** One of `USAGE_END_REASONS`, as records spell it. */
export function parseEndReason(text: string): EndReason | 'incomplete' | undefined {
  const trimmed = text.trim();
  return USAGE_END_REASONS.find((reason) => reason === trimmed);
}
