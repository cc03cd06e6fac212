/**
 * Usage with charts: requests and cost per day, tokens and cost per model and per user (the
 * server's summaries), and the distribution of time to first byte over the latest records — the
 * number a streaming gateway lives by. The records of the span export as CSV.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import type { ListOf, UsageRecord, UsageSummaryRow } from '../api/types.ts';
import { BarList } from '../charts/bar-list.tsx';
import { ColumnChart, type Datum, usd } from '../charts/column-chart.tsx';
import { histogram } from '../charts/histogram.ts';
import { useLocale } from '../i18n/locale.ts';
import { errorText } from './use-list.ts';
import { ErrorText } from '../ui/error-text.tsx';

type Span = '24h' | '7d' | '30d';

interface UsageData {
  readonly byDay: readonly UsageSummaryRow[];
  readonly byModel: readonly UsageSummaryRow[];
  readonly byUser: readonly UsageSummaryRow[];
  readonly records: readonly UsageRecord[];
}

/** How many records feed the histogram: enough for a shape, small enough for one answer. */
const RECORDS = 1000;

export function UsagePanel({ api }: { api: ApiClient }) {
  const { t } = useLocale();
  const [span, setSpan] = useState<Span>('7d');
  const [data, setData] = useState<UsageData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    const summary = (by: string) =>
      api
        .json<ListOf<UsageSummaryRow>>('GET', `/api/admin/usage/summary?by=${by}&since=${span}`)
        .then((r) => r.data);
    Promise.all([
      summary('day'),
      summary('model'),
      summary('user'),
      api
        .json<ListOf<UsageRecord>>('GET', `/api/admin/usage?since=${span}&limit=${RECORDS}`)
        .then((r) => r.data),
    ])
      .then(([byDay, byModel, byUser, records]) => {
        if (!live) return;
        setData({ byDay, byModel, byUser, records });
        setError(null);
      })
      .catch((e: unknown) => {
        if (live) setError(errorText(e));
      });
    return () => {
      live = false;
    };
  }, [api, span, tick]);

  const tokens = (row: UsageSummaryRow) => row.prompt_tokens + row.completion_tokens;
  const cost = (row: UsageSummaryRow) => row.cost;
  // Rows without a model or user (refused requests, the bootstrap key) are left out.
  const named = (
    rows: readonly UsageSummaryRow[],
    field: 'model' | 'user',
    value: (row: UsageSummaryRow) => number,
  ): Datum[] =>
    rows
      .flatMap((row) => {
        const label = row[field];
        return label === null || label === undefined ? [] : [{ label, value: value(row) }];
      })
      .sort((a, b) => b.value - a.value);
  const days =
    data === null ? [] : [...data.byDay].sort((a, b) => (a.day ?? '').localeCompare(b.day ?? ''));
  const perDay = (value: (row: UsageSummaryRow) => number): Datum[] =>
    days.map((row) => ({ label: (row.day ?? '').slice(5), value: value(row) }));
  const ttfb =
    data?.records.flatMap((r) => (r.client_ttfb_ms === null ? [] : [r.client_ttfb_ms])) ?? [];

  return (
    <section class="panel usage" data-testid="usage-panel">
      <div class="inline-form">
        <label>
          {t('since')}{' '}
          <select
            name="since"
            value={span}
            onChange={(e) => {
              setSpan(e.currentTarget.value as Span);
            }}
          >
            <option value="24h">{t('last24h')}</option>
            <option value="7d">{t('last7d')}</option>
            <option value="30d">{t('last30d')}</option>
          </select>
        </label>
        <button
          type="button"
          class="ghost"
          onClick={() => {
            setTick(tick + 1);
          }}
        >
          {t('refresh')}
        </button>
        <a class="button" href={`/api/admin/usage?since=${span}&format=csv&limit=10000`} download>
          {t('exportCsv')}
        </a>
      </div>
      <ErrorText text={error} />
      {data !== null && data.byDay.length === 0 && <p class="muted">{t('noUsage')}</p>}
      {data !== null && data.byDay.length > 0 && (
        <div class="charts">
          <figure data-chart="per-day">
            <figcaption>{t('usagePerDay')}</figcaption>
            <ColumnChart title={t('usagePerDay')} data={perDay((row) => row.requests)} />
          </figure>
          <figure data-chart="cost-per-day">
            <figcaption>{t('costPerDay')}</figcaption>
            <ColumnChart title={t('costPerDay')} data={perDay(cost)} format={usd} />
          </figure>
          <figure data-chart="per-model">
            <figcaption>{t('usagePerModel')}</figcaption>
            <BarList title={t('usagePerModel')} data={named(data.byModel, 'model', tokens)} />
          </figure>
          <figure data-chart="cost-per-model">
            <figcaption>{t('costPerModel')}</figcaption>
            <BarList
              title={t('costPerModel')}
              data={named(data.byModel, 'model', cost)}
              format={usd}
            />
          </figure>
          <figure data-chart="per-user">
            <figcaption>{t('usagePerUser')}</figcaption>
            <BarList title={t('usagePerUser')} data={named(data.byUser, 'user', tokens)} />
          </figure>
          <figure data-chart="cost-per-user">
            <figcaption>{t('costPerUser')}</figcaption>
            <BarList
              title={t('costPerUser')}
              data={named(data.byUser, 'user', cost)}
              format={usd}
            />
          </figure>
          <figure data-chart="ttfb">
            <figcaption>{t('ttftHistogram', { count: ttfb.length })}</figcaption>
            <ColumnChart
              title={t('ttftHistogram', { count: ttfb.length })}
              data={histogram(ttfb).map((b) => ({ label: b.label, value: b.count }))}
            />
          </figure>
        </div>
      )}
    </section>
  );
}
