/** `/api/admin/usage`: the records themselves, newest first, and sums grouped by user, key, model, day. */
import { InvalidQueryError } from '../errors/index.ts';
import { summaryView, usageView } from '../metering/index.ts';
import type { UsageFilter } from '../store/types.ts';
import { parseInstant, parseUsageGroups } from './params.ts';
import type { AdminRoute } from './route.ts';
import type { AdminServices } from './services.ts';

const DEFAULT_LIMIT = 1000;
/** One answer stays a few MB at most; page with `until` for more. */
const MAX_LIMIT = 10_000;

export function usageRoutes({ accounts, store, now }: AdminServices): AdminRoute[] {
  /** `user`, `since`, `until` from the query string, as a store filter. */
  const filterOf = async (query: URLSearchParams): Promise<UsageFilter> => {
    const username = query.get('user');
    const since = instant(query, 'since', now());
    const until = instant(query, 'until', now());
    return {
      ...(username === null ? {} : { userId: (await accounts.user(username)).id }),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
    };
  };

  return [
    {
      path: 'usage',
      methods: {
        GET: async (request) => {
          const filter = { ...(await filterOf(request.query)), limit: limitOf(request.query) };
          return { status: 200, body: { data: (await store.listUsage(filter)).map(usageView) } };
        },
      },
    },
    {
      path: 'usage/summary',
      methods: {
        GET: async (request) => {
          const by = request.query.get('by') ?? 'user,model,day';
          const groups = parseUsageGroups(by);
          if (groups === undefined) {
            throw new InvalidQueryError(
              'by',
              `"by" takes a comma-separated list of user, key, model, day; got "${by}".`,
            );
          }
          const rows = await store.summarizeUsage(await filterOf(request.query), groups);
          return { status: 200, body: { data: rows.map(summaryView) } };
        },
      },
    },
  ];
}

function instant(query: URLSearchParams, name: string, now: number): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const ms = parseInstant(text, now);
  if (ms !== undefined) return ms;
  throw new InvalidQueryError(
    name,
    `"${name}" must be an ISO 8601 time such as 2026-11-24T00:00:00Z, or a span ago such as 7d or 24h; got "${text}".`,
  );
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
