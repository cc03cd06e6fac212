/** `sluice usage`: who used what, as grouped totals or (`--json`) the records themselves. */
import { parseArgs } from 'node:util';
import { parseInstant, parseUsageGroups } from '../admin/index.ts';
import { usageView } from '../metering/index.ts';
import type { UsageFilter, UsageGroup, UsageSummaryRow } from '../store/types.ts';
import { type Command, EXIT, UsageError } from './command.ts';
import { DATABASE_HELP, STORE_HELP, STORE_OPTIONS, withStore } from './store-context.ts';
import { type Align, formatTable } from './table.ts';

const DEFAULT_LIMIT = 1000;

export const usage: Command = {
  name: 'usage',
  summary: 'requests, tokens and cost by user, key, model, day',
  help: `Usage: sluice usage [options]

Shows what was used: a table of requests, tokens, cost and median time to first byte,
grouped as --by says, with totals. With --json, the usage records themselves, newest first.

Options:
  --user NAME          only this user's requests
  --since WHEN         from this time on: an ISO time (2026-11-01, 2026-11-01T08:00:00Z) or
                       a span ago such as 7d or 24h
  --until WHEN         before this time (same forms)
  --by LIST            group by any of user,key,model,day (default user,model,day; days are UTC)
  --json               print a JSON array of usage records instead of the table
  --limit N            with --json: at most N records (default ${DEFAULT_LIMIT})
${STORE_HELP}

${DATABASE_HELP}
`,
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        user: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        by: { type: 'string' },
        json: { type: 'boolean' },
        limit: { type: 'string' },
        ...STORE_OPTIONS,
      },
      strict: true,
    });
    const now = Date.now();
    const since = instantFlag('since', values.since, now);
    const until = instantFlag('until', values.until, now);
    const groups = parseUsageGroups(values.by ?? 'user,model,day');
    if (groups === undefined) {
      throw new UsageError(
        `--by takes a comma-separated list of user, key, model, day; got "${values.by ?? ''}"`,
      );
    }
    if (values.limit !== undefined && !/^\d+$/.test(values.limit)) {
      throw new UsageError(`--limit takes a whole number; got "${values.limit}"`);
    }
    const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
    return withStore(values, io, async ({ accounts, store }) => {
      const filter: UsageFilter = {
        ...(values.user === undefined ? {} : { userId: (await accounts.user(values.user)).id }),
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
      };
      if (values.json === true) {
        const records = await store.listUsage({ ...filter, limit });
        io.stdout.write(`${JSON.stringify(records.map(usageView), null, 2)}\n`);
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

function instantFlag(name: string, text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseInstant(text, now);
  if (ms !== undefined) return ms;
  throw new UsageError(
    `--${name} takes an ISO time such as 2026-11-01T00:00:00Z, or a span ago such as 7d or 24h; got "${text}"`,
  );
}

function usageTable(
  groups: readonly UsageGroup[],
  rows: readonly UsageSummaryRow[],
  total: UsageSummaryRow,
): string {
  const figures = (row: UsageSummaryRow) => [
    String(row.requests),
    String(row.promptTokens),
    String(row.completionTokens),
    `$${row.cost.toFixed(4)}`,
    row.clientTtfbMsP50 === null ? '-' : `${Math.round(row.clientTtfbMsP50)} ms`,
  ];
  const header = [
    ...groups.map((g) => g.toUpperCase()),
    'REQUESTS',
    'PROMPT',
    'COMPLETION',
    'COST',
    'TTFB P50',
  ];
  const align: Align[] = [
    ...groups.map((): Align => 'left'),
    'right',
    'right',
    'right',
    'right',
    'right',
  ];
  const label = groups.length === 0 ? [] : ['total', ...groups.slice(1).map(() => '')];
  return formatTable(
    header,
    rows.map((row) => [...groups.map((g) => row.group[g] ?? '-'), ...figures(row)]),
    { align, footer: groups.length === 0 ? [] : [[...label, ...figures(total)]] },
  );
}
