/**
 * The request log's filters, kept in the page's address under the admin API's own names
 * (`user`, `key`, `model`, `upstream`, `status`, `end_reason`, `since`, `until`), so a filtered
 * view is a link that opens the same view, and its CSV export is the same query plus
 * `format=csv`. The one difference: with no `since` the page shows the last 7 days, and
 * `since=all` in the address is every record (the API's "no since").
 */
export const FILTER_NAMES = [
  'user',
  'key',
  'model',
  'upstream',
  'status',
  'end_reason',
  'since',
  'until',
] as const;

export type FilterName = (typeof FILTER_NAMES)[number];

/** Each filter as text; empty is "any" (for `since`: all time). */
export type Filters = Readonly<Record<FilterName, string>>;

export const DEFAULT_SINCE = '7d';
const ALL_TIME = 'all';

/** The spans offered in the form; `''` is all time. Any other `since` is a custom range. */
export const SPANS = ['1h', '24h', '7d', '30d', ''] as const;

export const NO_FILTERS: Filters = {
  user: '',
  key: '',
  model: '',
  upstream: '',
  status: '',
  end_reason: '',
  since: DEFAULT_SINCE,
  until: '',
};

/** The filters of an address's query (`model=gpt-4o&since=all`); anything else is ignored. */
export function filtersFromQuery(text: string): Filters {
  const query = new URLSearchParams(text);
  const value = (name: FilterName): string => {
    const given = query.get(name)?.trim() ?? '';
    if (name !== 'since') return given;
    if (given === ALL_TIME) return '';
    return given === '' ? DEFAULT_SINCE : given;
  };
  return {
    user: value('user'),
    key: value('key'),
    model: value('model'),
    upstream: value('upstream'),
    status: value('status'),
    end_reason: value('end_reason'),
    since: value('since'),
    until: value('until'),
  };
}

/** The query for the address: only what differs from no filters, so the plain tab stays plain. */
export function addressQuery(filters: Filters): URLSearchParams {
  const query = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name].trim();
    if (name === 'since') {
      if (value !== DEFAULT_SINCE) query.set(name, value === '' ? ALL_TIME : value);
    } else if (value !== '') {
      query.set(name, value);
    }
  }
  return query;
}

/** The query for `/api/admin/usage`: the filters given, by the same names. */
export function apiQuery(filters: Filters): URLSearchParams {
  const query = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name].trim();
    if (value !== '') query.set(name, value);
  }
  return query;
}

/** Whether `since` is one of the spans the form offers (else the form shows a custom range). */
export function isOfferedSpan(since: string): boolean {
  return (SPANS as readonly string[]).includes(since);
}

/**
 * A `datetime-local` field's value (`2026-11-24T10:00`, the reader's own zone) as an ISO time
 * the API reads; `''` for an empty or unreadable field.
 */
export function isoOfLocal(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return '';
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}

/** The other way: an ISO time as a `datetime-local` value in the reader's zone; `''` for none. */
export function localOfIso(iso: string): string {
  const ms = Date.parse(iso);
  if (!/^\d{4}-/.test(iso) || Number.isNaN(ms)) return '';
  const local = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
