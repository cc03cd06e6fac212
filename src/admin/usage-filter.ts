/**
 * Which usage records, from text: the admin API's query (`?model=gpt-4o&status=5xx`) and the
 * flags of `sluice usage` (`--model gpt-4o --status 5xx`) read it here, the same way. A value
 * that cannot be read is reported through the caller's `invalid`, so the API answers a 400 and
 * the CLI a usage error, each naming the parameter as its user typed it.
 */
import type { Accounts } from '../accounts/index.ts';
import type { SluiceError } from '../errors/index.ts';
import { type Store, USAGE_END_REASONS, type UsageFilter } from '../store/types.ts';
import { parseEndReason, parseInstant, parseStatusRange } from './params.ts';

/** The filters, by their query names (the CLI's flags are these with `-` for `_`). */
export const USAGE_FILTERS = [
  'id',
  'user',
  'key',
  'model',
  'upstream',
  'status',
  'end_reason',
  'since',
  'until',
] as const;

export type UsageFilterName = (typeof USAGE_FILTERS)[number];

export type UsageFilterText = Readonly<Partial<Record<UsageFilterName, string>>>;

/** The error for a value of `name` that is not `expected` (a phrase: "a whole number"). */
export type InvalidFilter = (name: UsageFilterName, expected: string, got: string) => SluiceError;

const INSTANT_FORM =
  'an ISO 8601 time such as 2026-11-24T00:00:00Z, or a span ago such as 7d or 24h';
const STATUS_FORM = 'an HTTP status such as 429, or a class such as 4xx';
const END_REASON_FORM = `one of ${USAGE_END_REASONS.join(', ')}`;

/** The text read and checked; the user and key still to be looked up in the store. */
export interface ParsedUsageFilter {
  readonly filter: UsageFilter;
  readonly user: string | undefined;
  readonly key: string | undefined;
}

/**
 * Every value checked, before any store is opened: `since`/`until` ISO times or spans ago,
 * `status` a status or a class, `end_reason` one of the record's, none of them empty.
 */
export function parseUsageFilter(
  text: UsageFilterText,
  now: number,
  invalid: InvalidFilter,
): ParsedUsageFilter {
  const value = (name: UsageFilterName): string | undefined => {
    const given = text[name];
    if (given === undefined) return undefined;
    if (given.trim() === '') throw invalid(name, 'a value (leave it out for every record)', given);
    return given.trim();
  };
  const read = <T>(name: UsageFilterName, parse: (t: string) => T | undefined, form: string) => {
    const given = value(name);
    if (given === undefined) return undefined;
    const parsed = parse(given);
    if (parsed === undefined) throw invalid(name, form, given);
    return parsed;
  };
  const since = read('since', (t) => parseInstant(t, now), INSTANT_FORM);
  const until = read('until', (t) => parseInstant(t, now), INSTANT_FORM);
  const status = read('status', parseStatusRange, STATUS_FORM);
  const endReason = read('end_reason', parseEndReason, END_REASON_FORM);
  const id = value('id');
  const model = value('model');
  const upstream = value('upstream');
  return {
    filter: {
      ...(id === undefined ? {} : { id }),
      ...(model === undefined ? {} : { model }),
      ...(upstream === undefined ? {} : { upstream }),
      ...(status === undefined ? {} : { status }),
      ...(endReason === undefined ? {} : { endReason }),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
    },
    user: value('user'),
    key: value('key'),
  };
}

/**
 * The store filter: `user` is a username (404 when there is none); `key` a key's id, or else
 * the start of key prefixes (`sk-sluice-ab12`; `web` for the web page's chats, `admin` for the
 * bootstrap key), which may match several keys, revoked ones included.
 */
export async function resolveUsageFilter(
  { filter, user, key }: ParsedUsageFilter,
  { accounts, store }: { readonly accounts: Accounts; readonly store: Store },
): Promise<UsageFilter> {
  return {
    ...filter,
    ...(user === undefined ? {} : { userId: (await accounts.user(user)).id }),
    ...(key === undefined
      ? {}
      : (await store.getKey(key)) === undefined
        ? { keyPrefix: key }
        : { keyId: key }),
  };
}
