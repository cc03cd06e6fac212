/**
 * `/api/admin/usage`: the records themselves, newest first, a page at a time, and sums grouped
 * by user, key, model, day — as JSON, or as CSV with `format=csv`. Both take the same filters
 * (`usage-filter.ts`); a parameter they do not know is refused, so a misspelt filter cannot
 * silently widen an export.
 */
import { InvalidQueryError } from '../errors/index.ts';
import { summaryView, usageView } from '../metering/index.ts';
import type { UsageCursor, UsageFilter } from '../store/types.ts';
import { parseUsageGroups } from './params.ts';
import type { AdminReply, AdminRoute } from './route.ts';
import type { AdminServices } from './services.ts';
import { csvFilename, summaryCsv, usageCsv } from './usage-csv.ts';
import { parseUsageFilter, resolveUsageFilter, USAGE_FILTERS } from './usage-filter.ts';

const DEFAULT_LIMIT = 1000;
/** One answer stays a few MB at most; page with `cursor` for more. */
const MAX_LIMIT = 10_000;
const CSV = 'text/csv; charset=utf-8';
const FORMATS = ['json', 'csv'] as const;

export function usageRoutes({ accounts, store, now }: AdminServices): AdminRoute[] {
  const filterOf = (query: URLSearchParams): Promise<UsageFilter> => {
    const text = Object.fromEntries(
      USAGE_FILTERS.flatMap((name) => {
        const value = query.get(name);
        return value === null ? [] : [[name, value]];
      }),
    );
    const parsed = parseUsageFilter(
      text,
      now(),
      (name, expected, got) =>
        new InvalidQueryError(name, `"${name}" must be ${expected}; got "${got}".`),
    );
    return resolveUsageFilter(parsed, { accounts, store });
  };

  return [
    {
      path: 'usage',
      methods: {
        GET: async ({ query }) => {
          checkParameters(query, [...USAGE_FILTERS, 'limit', 'cursor', 'format']);
          const format = formatOf(query);
          const limit = limitOf(query);
          const after = cursorOf(query);
          const filter = { ...(await filterOf(query)), ...(after === undefined ? {} : { after }) };
          // One more than asked for tells whether there is a next page.
          const records = await store.listUsage({ ...filter, limit: limit + 1 });
          const page = records.slice(0, limit);
          const last = page.at(-1);
          const next = records.length > limit && last !== undefined ? cursorText(last) : null;
          if (format === 'csv') {
            return file(usageCsv(page), csvFilename('usage', now()), {
              ...(next === null ? {} : { 'x-sluice-next-cursor': next }),
            });
          }
          return { status: 200, body: { data: page.map(usageView), next_cursor: next } };
        },
      },
    },
    {
      path: 'usage/summary',
      methods: {
        GET: async ({ query }) => {
          checkParameters(query, [...USAGE_FILTERS, 'by', 'format']);
          const format = formatOf(query);
          const by = query.get('by') ?? 'user,model,day';
          const groups = parseUsageGroups(by);
          if (groups === undefined) {
            throw new InvalidQueryError(
              'by',
              `"by" takes a comma-separated list of user, key, model, day; got "${by}".`,
            );
          }
          const rows = await store.summarizeUsage(await filterOf(query), groups);
          if (format === 'csv') {
            return file(summaryCsv(groups, rows), csvFilename('usage-summary', now()));
          }
          return { status: 200, body: { data: rows.map(summaryView) } };
        },
      },
    },
  ];
}

function file(text: string, filename: string, headers: Record<string, string> = {}): AdminReply {
  return { status: 200, file: { contentType: CSV, filename, text, headers } };
}

/** Unknown parameters and repeated ones are refused: `?modle=x` must not mean "everything". */
function checkParameters(query: URLSearchParams, known: readonly string[]): void {
  for (const name of new Set(query.keys())) {
    if (!known.includes(name)) {
      throw new InvalidQueryError(
        name,
        `Unknown parameter "${name}"; this URL takes ${known.join(', ')}.`,
      );
    }
    if (query.getAll(name).length > 1) {
      throw new InvalidQueryError(name, `"${name}" is given more than once; give it once.`);
    }
  }
}

function formatOf(query: URLSearchParams): (typeof FORMATS)[number] {
  const text = query.get('format') ?? 'json';
  const format = FORMATS.find((f) => f === text);
  if (format !== undefined) return format;
  throw new InvalidQueryError('format', `"format" must be json or csv; got "${text}".`);
}

function limitOf(query: URLSearchParams): number {
  const text = query.get('limit');
  if (text === null) return DEFAULT_LIMIT;
  const limit = Number(text);
  if (/^\d+$/.test(text) && limit <= MAX_LIMIT) return limit;
  throw new InvalidQueryError(
    'limit',
    `"limit" must be a whole number from 0 to ${MAX_LIMIT}; got "${text}".`,
  );
}

/**
 * A page's end as the client carries it: the record's start and id, base64url-encoded so it
 * reads as one opaque token (`next_cursor`, given back as `cursor`).
 */
function cursorText(record: { readonly startedAt: number; readonly id: string }): string {
  return Buffer.from(`${record.startedAt}:${record.id}`).toString('base64url');
}

function cursorOf(query: URLSearchParams): UsageCursor | undefined {
  const text = query.get('cursor');
  if (text === null) return undefined;
  const match = /^(\d{1,15}):(.+)$/s.exec(Buffer.from(text, 'base64url').toString());
  if (match?.[1] !== undefined && match[2] !== undefined) {
    return { startedAt: Number(match[1]), id: match[2] };
  }
  throw new InvalidQueryError(
    'cursor',
    `"cursor" must be the next_cursor of an earlier page, unchanged; got "${text}".`,
  );
}
