/**
 * `sluice usage`: who used what, as grouped totals, or the records themselves as JSON
 * (`--json`) or CSV (`--csv`, the columns of `/api/admin/usage?format=csv`).
 */
import { parseArgs } from 'node:util';
// The admin layer's parts, not its index: that would load the HTTP routes this command lacks.
import { parseUsageGroups } from '../admin/params.ts';
import { usageCsv } from '../admin/usage-csv.ts';
import {
  type InvalidFilter,
  parseUsageFilter,
  resolveUsageFilter,
  USAGE_FILTERS,
  type UsageFilterText,
} from '../admin/usage-filter.ts';
import { usageView } from '../metering/views.ts';
import { printableLines } from '../log/index.ts';
import type { UsageGroup, UsageSummaryRow } from '../store/types.ts';
import { type Command, EXIT, UsageError } from './command.ts';
import { DATABASE_HELP, STORE_HELP, STORE_OPTIONS, withStore } from './store-context.ts';
import { type Align, formatTable } from './table.ts';

const DEFAULT_LIMIT = 1000;

/** A filter's flag: `end_reason` → `end-reason`. */
const flagOf = (name: string) => name.replace('_', '-');

export const usage: Command = {
  name: 'usage',
  help: `Usage: sluice usage [options]

Shows what was used: a table of requests, tokens, cost and median time to first byte,
grouped as --by says, with totals. With --json or --csv, the usage records themselves,
newest first. Model-list calls (GET /v1/models, which the web page makes on every load)
are records, but not counted in the table.

Filters (each given must hold):
  --user NAME          this user's requests
  --key KEY            this key's (its id), or those of keys whose prefix starts so
                       (sk-sluice-ab12; "web" for the web page's chats)
  --model MODEL        this model, served or asked for by an alias
  --upstream NAME      answered by this upstream
  --status STATUS      this HTTP status (429) or class (4xx)
  --end-reason REASON  done, client_cancelled, upstream_error, timeout, rejected, shutdown,
                       interrupted or incomplete
  --id REQUEST_ID      the request with this id (x-sluice-request-id)
  --since WHEN         from this time on: an ISO time (2026-11-01, 2026-11-01T08:00:00Z) or
                       a span ago such as 7d or 24h
  --until WHEN         before this time (same forms)

Output:
  --by LIST            group by any of user,key,model,day (default user,model,day; days are UTC)
  --json               print a JSON array of usage records instead of the table
  --csv                print the usage records as CSV (RFC 4180, a header row; text that a
                       spreadsheet would run as a formula is prefixed with ')
  --limit N            with --json or --csv: at most N records (default ${DEFAULT_LIMIT})
${STORE_HELP}

${DATABASE_HELP}
`,
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        id: { type: 'string' },
        user: { type: 'string' },
        key: { type: 'string' },
        model: { type: 'string' },
        upstream: { type: 'string' },
        status: { type: 'string' },
        'end-reason': { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        by: { type: 'string' },
        json: { type: 'boolean' },
        csv: { type: 'boolean' },
        limit: { type: 'string' },
        ...STORE_OPTIONS,
      },
      strict: true,
    });
    const groups = parseUsageGroups(values.by ?? 'user,model,day');
    if (groups === undefined) {
      throw new UsageError(
        `--by takes a comma-separated list of user, key, model, day; got "${values.by ?? ''}"`,
      );
    }
    if (values.json === true && values.csv === true) {
      throw new UsageError('--json and --csv each print the records; choose one');
    }
    if (values.limit !== undefined && !/^\d+$/.test(values.limit)) {
      throw new UsageError(`--limit takes a whole number; got "${values.limit}"`);
    }
    const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
    const flags: Readonly<Record<string, unknown>> = values;
    const text: UsageFilterText = Object.fromEntries(
      USAGE_FILTERS.flatMap((name) => {
        const value = flags[flagOf(name)];
        return typeof value === 'string' ? [[name, value]] : [];
      }),
    );
    const invalid: InvalidFilter = (name, expected, got) =>
      new UsageError(`--${flagOf(name)} takes ${expected}; got "${got}"`);
    const parsed = parseUsageFilter(text, Date.now(), invalid);
    return withStore(values, io, async ({ accounts, store }) => {
      const filter = await resolveUsageFilter(parsed, { accounts, store });
      if (values.json === true || values.csv === true) {
        const records = await store.listUsage({ ...filter, limit });
        io.stdout.write(
          values.csv === true
            ? usageCsv(records)
            : printableLines(`${JSON.stringify(records.map(usageView), null, 2)}\n`),
        );
        return EXIT.ok;
      }
      const rows = await store.summarizeUsage(filter, groups);
      // Totals from the store, not added up here: the median time to first byte cannot be.
      const [total] = await store.summarizeUsage(filter, []);
      if (rows.length === 0 || total === undefined || total.requests === 0) {
        io.stdout.write('No usage recorded for this selection.\n');
        return EXIT.ok;
      }
      io.stdout.write(usageTable(groups, rows, total));
      return EXIT.ok;
    });
  },
};

function usageTable(
  groups: readonly UsageGroup[],
  rows: readonly UsageSummaryRow[],
  total: UsageSummaryRow,
): string {
  // Searches get a column only when the selection paid for some: most deployments never do.
  const searched = total.searches > 0;
  const figures = (row: UsageSummaryRow) => [
    String(row.requests),
    String(row.promptTokens),
    String(row.completionTokens),
    ...(searched ? [String(row.searches)] : []),
    `$${row.cost.toFixed(4)}`,
    row.clientTtfbMsP50 === null ? '-' : `${Math.round(row.clientTtfbMsP50)} ms`,
  ];
  const header = [
    ...groups.map((g) => g.toUpperCase()),
    'REQUESTS',
    'PROMPT',
    'COMPLETION',
    ...(searched ? ['SEARCHES'] : []),
    'COST',
    'TTFB P50',
  ];
  const align: Align[] = [
    ...groups.map((): Align => 'left'),
    ...header.slice(groups.length).map((): Align => 'right'),
  ];
  const label = groups.length === 0 ? [] : ['total', ...groups.slice(1).map(() => '')];
  return formatTable(
    header,
    rows.map((row) => [...groups.map((g) => row.group[g] ?? '-'), ...figures(row)]),
    { align, footer: groups.length === 0 ? [] : [[...label, ...figures(total)]] },
  );
}
