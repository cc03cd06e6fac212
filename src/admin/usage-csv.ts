/**
 * Usage as CSV, for `?format=csv` and `sluice usage --csv`: the columns are the fields of the
 * JSON views (`usageView`, `summaryView`), same names, same order, one row per record or group.
 */
import { summaryView, usageView } from '../metering/views.ts';
import type { UsageGroup, UsageRecord, UsageSummaryRow } from '../store/types.ts';
import { csvTable } from './csv.ts';

type UsageView = ReturnType<typeof usageView>;

export const USAGE_CSV_COLUMNS = [
  'id',
  'user',
  'key_prefix',
  'client_ip',
  'model',
  'requested_model',
  'upstream',
  'upstreams_tried',
  'endpoint',
  'status',
  'started_at',
  'ended_at',
  'upstream_ttfb_ms',
  'client_ttfb_ms',
  'client_ttft_ms',
  'events',
  'bytes',
  'max_gap_ms',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'searches',
  'cost',
  'usage_source',
  'end_reason',
] as const satisfies readonly (keyof UsageView)[];

/** A field added to the view and not here fails to compile: the two cannot drift apart. */
const _everyField: Exclude<keyof UsageView, (typeof USAGE_CSV_COLUMNS)[number]> extends never
  ? true
  : never = true;

export function usageCsv(records: readonly UsageRecord[]): string {
  return csvTable(
    USAGE_CSV_COLUMNS,
    records.map((record) => {
      const view = usageView(record);
      return USAGE_CSV_COLUMNS.map((column) =>
        column === 'upstreams_tried' ? triesText(view.upstreams_tried) : view[column],
      );
    }),
  );
}

/** `primary:500 backup:200`: one cell, in the order tried. */
function triesText(tries: UsageRecord['tries']): string | null {
  return tries === null ? null : tries.map((t) => `${t.upstream}:${t.answer}`).join(' ');
}

const SUMMARY_FIGURES = [
  'requests',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'searches',
  'cost',
  'client_ttfb_ms_p50',
] as const;

export function summaryCsv(
  groups: readonly UsageGroup[],
  rows: readonly UsageSummaryRow[],
): string {
  return csvTable(
    [...groups, ...SUMMARY_FIGURES],
    rows.map((row) => {
      const view = summaryView(row);
      return [...groups.map((g) => row.group[g] ?? null), ...SUMMARY_FIGURES.map((f) => view[f])];
    }),
  );
}

/** `sluice-usage-20261124T101500Z.csv`: what the file is, and when it was taken (UTC). */
export function csvFilename(what: string, at: number): string {
  const stamp = new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `sluice-${what}-${stamp}.csv`;
}
