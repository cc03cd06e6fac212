/** Usage records: the batch upsert, listing, totals and grouped summaries. */
import type { Db, SqlValue } from './db.ts';
import {
  number,
  numberOrNull,
  textOrNull,
  USAGE_COLUMNS,
  usageFromRow,
  usageToParams,
} from './rows.ts';
import type { UsageFilter, UsageGroup, UsageRecord, UsageSummaryRow } from './types.ts';

const DEFAULT_LIMIT = 1000;

const UPSERT_USAGE = `INSERT INTO usage_records (${USAGE_COLUMNS.join(', ')})
VALUES (${USAGE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
ON CONFLICT (id) DO UPDATE SET ${USAGE_COLUMNS.filter((c) => c !== 'id')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ')}`;

export async function writeUsage(db: Db, records: readonly UsageRecord[]): Promise<void> {
  if (records.length === 0) return;
  await db.transaction(async (tx) => {
    for (const record of records) await tx.run(UPSERT_USAGE, usageToParams(record));
  });
}

export async function listUsage(db: Db, filter: UsageFilter = {}): Promise<UsageRecord[]> {
  const { where, params } = whereClause(filter);
  const limit = filter.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`usage limit must be a whole number ≥ 0; got ${limit}`);
  }
  params.push(limit);
  const rows = await db.all(
    `SELECT ${USAGE_COLUMNS.join(', ')} FROM usage_records${where}
ORDER BY started_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map(usageFromRow);
}

export async function usageTotals(
  db: Db,
  subject: { readonly userId: string } | { readonly keyId: string },
  since: number,
): Promise<{ tokens: number; cost: number }> {
  const column = 'userId' in subject ? 'user_id' : 'key_id';
  const id = 'userId' in subject ? subject.userId : subject.keyId;
  const [row] = await db.all(
    `SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS tokens,
  COALESCE(SUM(cost), 0) AS cost
FROM usage_records WHERE ${column} = $1 AND started_at >= $2`,
    [id, since],
  );
  return row === undefined
    ? { tokens: 0, cost: 0 }
    : { tokens: number(row, 'tokens'), cost: number(row, 'cost') };
}

/** The column each grouping reads; `day` is the dialect's UTC-day expression. */
const GROUP_COLUMNS: Record<Exclude<UsageGroup, 'day'>, string> = {
  user: 'username',
  key: 'key_prefix',
  model: 'model',
};

/** Sums over the records the filter selects, model-list calls left out (see `Store`). */
export async function summarizeUsage(
  db: Db,
  filter: UsageFilter,
  groupBy: readonly UsageGroup[],
): Promise<UsageSummaryRow[]> {
  const groups = [...new Set(groupBy)];
  const expressions = groups.map((g) => (g === 'day' ? db.dialect.startedDay : GROUP_COLUMNS[g]));
  // A page's cursor does not narrow a sum.
  const { after: _page, ...selection } = filter;
  const { where, params } = whereClause(selection, { work: true });
  const positions = groups.map((_, i) => i + 1).join(', ');
  // GROUP BY positions, so the same text works in both engines; nulls sorted last explicitly
  // because the engines disagree by default.
  const grouping =
    groups.length === 0
      ? ''
      : `\nGROUP BY ${positions}\nORDER BY ${expressions.map((e) => `${e} IS NULL, ${e}`).join(', ')}`;
  const sql = `SELECT ${expressions.map((e, i) => `${e} AS g${i}, `).join('')}COUNT(*) AS requests,
  COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens,
  COALESCE(SUM(completion_tokens), 0) AS completion_tokens,
  COALESCE(SUM(cached_tokens), 0) AS cached_tokens,
  COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens,
  COALESCE(SUM(searches), 0) AS searches,
  COALESCE(SUM(cost), 0) AS cost,
  ${db.dialect.median('client_ttfb_ms')} AS client_ttfb_p50
FROM usage_records${where}${grouping}`;
  const rows = await db.all(sql, params);
  return rows.map((row) => ({
    group: Object.fromEntries(groups.map((g, i) => [g, textOrNull(row, `g${i}`)])),
    requests: number(row, 'requests'),
    promptTokens: number(row, 'prompt_tokens'),
    completionTokens: number(row, 'completion_tokens'),
    cachedTokens: number(row, 'cached_tokens'),
    reasoningTokens: number(row, 'reasoning_tokens'),
    searches: number(row, 'searches'),
    cost: number(row, 'cost'),
    clientTtfbMsP50: numberOrNull(row, 'client_ttfb_p50'),
  }));
}

/**
 * Model-list calls: catalogue lookups, not work. The web page makes one on every load, so
 * counted they would make "requests per day" mostly the page's own (issue #13).
 */
const CATALOGUE_ENDPOINT = '/v1/models';

function whereClause(
  filter: UsageFilter,
  { work = false }: { readonly work?: boolean } = {},
): { where: string; params: SqlValue[] } {
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  /** `condition` with each `?` numbered in turn, taking `values` in order. */
  const add = (condition: string, ...values: SqlValue[]) => {
    let i = 0;
    conditions.push(
      condition.replace(/\?/g, () => {
        params.push(values[i++] ?? null);
        return `$${params.length}`;
      }),
    );
  };
  if (filter.id !== undefined) add('id = ?', filter.id);
  if (filter.userId !== undefined) add('user_id = ?', filter.userId);
  if (filter.keyId !== undefined) add('key_id = ?', filter.keyId);
  if (filter.keyPrefix !== undefined) {
    // substr, not LIKE: a prefix is matched as text, `_` and `%` included.
    add('substr(key_prefix, 1, ?) = ?', filter.keyPrefix.length, filter.keyPrefix);
  }
  if (filter.model !== undefined)
    add('(model = ? OR requested_model = ?)', filter.model, filter.model);
  if (filter.upstream !== undefined) add('upstream = ?', filter.upstream);
  if (filter.status !== undefined)
    add('status >= ? AND status < ?', filter.status.from, filter.status.to);
  if (filter.endReason !== undefined) add('end_reason = ?', filter.endReason);
  if (filter.since !== undefined) add('started_at >= ?', filter.since);
  if (filter.until !== undefined) add('started_at < ?', filter.until);
  if (filter.after !== undefined) {
    const { startedAt, id } = filter.after;
    add('(started_at < ? OR (started_at = ? AND id < ?))', startedAt, startedAt, id);
  }
  if (work) add('endpoint <> ?', CATALOGUE_ENDPOINT);
  return { where: conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`, params };
}
