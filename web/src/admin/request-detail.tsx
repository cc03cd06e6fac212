/**
 * One request of the log: its timeline (start → upstream's first byte → first byte → first
 * token → end) and what it carried — events, the largest silence between them, tokens, cost,
 * the upstreams tried, the one that answered, and how it ended.
 */
import type { UsageRecord } from '../api/types.ts';
import { usd } from '../charts/column-chart.tsx';
import { type Moment, Timeline } from '../charts/timeline.tsx';
import { useLocale } from '../i18n/locale.ts';
import { when } from './use-list.ts';

/** `85 ms`, `1.24 s`, `2 min 5 s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** How long the request took, from its two ISO times; `null` while it runs. */
export function elapsed(record: UsageRecord): number | null {
  return record.ended_at === null
    ? null
    : Date.parse(record.ended_at) - Date.parse(record.started_at);
}

export function RequestDetail({ record, onClose }: { record: UsageRecord; onClose: () => void }) {
  const { t, lang } = useLocale();
  const end = elapsed(record);
  const measured = (value: number | null) => (value === null ? t('notMeasured') : duration(value));
  const moment = (id: string, label: string, ms: number | null): Moment[] =>
    ms === null ? [] : [{ id, label, ms }];
  const moments: Moment[] = [
    ...moment('start', t('timelineStart'), 0),
    ...moment('upstream-first-byte', t('upstreamFirstByte'), record.upstream_ttfb_ms),
    ...moment('first-byte', t('timelineFirstByte'), record.client_ttfb_ms),
    ...moment('first-token', t('timelineFirstToken'), record.client_ttft_ms),
    ...moment('end', t('timelineEnd'), end),
  ];
  const rows: [string, string, string][] = [
    ['ttfb', t('timeToFirstByte'), measured(record.client_ttfb_ms)],
    ['ttft', t('timeToFirstToken'), measured(record.client_ttft_ms)],
    ['upstream-ttfb', t('upstreamFirstByte'), measured(record.upstream_ttfb_ms)],
    ['duration', t('duration'), end === null ? t('stillRunning') : duration(end)],
    ['events', t('events'), String(record.events)],
    ['max-gap', t('largestGap'), measured(record.max_gap_ms)],
    ['end-reason', t('endReason'), record.end_reason],
    ['status', t('status'), record.status === null ? '—' : String(record.status)],
    ['upstream', t('upstream'), record.upstream ?? '—'],
    [
      'tried',
      t('upstreamsTried'),
      record.upstreams_tried?.map((x) => `${x.upstream} ${x.answer}`).join(' → ') ?? '—',
    ],
    ['model', t('model'), record.model ?? '—'],
    ['requested-model', t('requestedModel'), record.requested_model ?? '—'],
    [
      'tokens',
      t('tokensShort'),
      `${record.prompt_tokens} + ${record.completion_tokens}${record.usage_source === 'estimate' ? ` (${t('tokensEstimated')})` : ''}`,
    ],
    ['cached-tokens', t('cachedTokens'), String(record.cached_tokens)],
    ['reasoning-tokens', t('reasoningTokens'), String(record.reasoning_tokens)],
    ['searches', t('webSearches'), String(record.searches)],
    ['cost', t('cost'), record.cost === null ? '—' : usd(record.cost)],
    ['user', t('user'), record.user ?? '—'],
    ['key', t('keyPrefix'), record.key_prefix ?? '—'],
    ['client-ip', t('clientIp'), record.client_ip ?? '—'],
    ['endpoint', t('endpoint'), record.endpoint],
    ['started', t('time'), when(record.started_at, lang)],
    ['bytes', t('bytes'), String(record.bytes)],
  ];
  return (
    <section
      class="request-detail"
      data-testid="request-detail"
      data-request={record.id}
      aria-label={t('requestTitle', { id: record.id })}
    >
      <header>
        <h3>{t('requestTitle', { id: record.id })}</h3>
        <button type="button" class="ghost" onClick={onClose}>
          {t('close')}
        </button>
      </header>
      <figure data-chart="timeline">
        <figcaption>{t('timeline')}</figcaption>
        <Timeline moments={moments} endMs={end} title={t('timeline')} format={duration} />
      </figure>
      <dl>
        {rows.map(([id, label, value]) => (
          <div key={id} data-field={id}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
