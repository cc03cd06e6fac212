/**
 * The request log: every request Sluice recorded, newest first, filtered by user, key, model,
 * upstream, status, end reason and time (the filters live in the address, so a view can be
 * reloaded or shared); a page at a time (`next_cursor`), exported as CSV with the same filters.
 * Choosing a request opens its timeline under its row (request-detail.tsx).
 */
import { Fragment } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import type { AdminKey, AdminUpstream, AdminUser, UsagePage, UsageRecord } from '../api/types.ts';
import { usd } from '../charts/column-chart.tsx';
import { useLocale } from '../i18n/locale.ts';
import { setQuery, useQuery } from '../route.ts';
import { ErrorText } from '../ui/error-text.tsx';
import { duration, RequestDetail } from './request-detail.tsx';
import { RequestFilterForm } from './request-filter-form.tsx';
import { addressQuery, apiQuery, type Filters, filtersFromQuery } from './request-filters.ts';
import { errorText, useList } from './use-list.ts';

const PAGE = 50;

/** What the table shows, changed in one step so rows and "loading" never disagree. */
interface Log {
  readonly records: readonly UsageRecord[];
  readonly next: string | null;
  readonly loading: boolean;
  readonly error: string | null;
}

const LOADING: Log = { records: [], next: null, loading: true, error: null };
/** An export is one answer of the API, at its largest. */
const EXPORT_LIMIT = 10_000;
const COLUMNS = 10;

function loadPage(api: ApiClient, filters: Filters, cursor: string | null): Promise<UsagePage> {
  const query = apiQuery(filters);
  query.set('limit', String(PAGE));
  if (cursor !== null) query.set('cursor', cursor);
  return api.json<UsagePage>('GET', `/api/admin/usage?${query.toString()}`);
}

/** A request's start to the second, in the reader's locale and zone. */
function startedAt(iso: string, lang: string): string {
  return new Date(iso).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function RequestsPanel({ api }: { api: ApiClient }) {
  const { t, lang } = useLocale();
  const users = useList<AdminUser>(api, '/api/admin/users');
  const keys = useList<AdminKey>(api, '/api/admin/keys');
  const upstreams = useList<AdminUpstream>(api, '/api/admin/upstreams');
  const query = useQuery();
  const filters = useMemo(() => filtersFromQuery(query), [query]);
  const [log, setLog] = useState<Log>(LOADING);
  const [open, setOpen] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  // The filters the rows shown were loaded with: a page that comes back after they changed
  // belongs to no list on screen.
  const shown = useRef(filters);

  useEffect(() => {
    shown.current = filters;
    let live = true;
    setLog((current) => ({ ...current, loading: true }));
    loadPage(api, filters, null).then(
      (page) => {
        if (live)
          setLog({ records: page.data, next: page.next_cursor, loading: false, error: null });
      },
      (e: unknown) => {
        if (live) setLog({ records: [], next: null, loading: false, error: errorText(e) });
      },
    );
    return () => {
      live = false;
    };
  }, [api, filters, tick]);

  const more = () => {
    setLog({ ...log, loading: true });
    loadPage(api, filters, log.next).then(
      (page) => {
        if (shown.current !== filters) return;
        setLog((current) => ({
          records: [...current.records, ...page.data],
          next: page.next_cursor,
          loading: false,
          error: null,
        }));
      },
      (e: unknown) => {
        if (shown.current !== filters) return;
        setLog((current) => ({ ...current, loading: false, error: errorText(e) }));
      },
    );
  };
  const exported = apiQuery(filters);
  exported.set('format', 'csv');
  exported.set('limit', String(EXPORT_LIMIT));

  return (
    <section class="panel requests" data-testid="requests-panel">
      <RequestFilterForm
        value={filters}
        users={users.items}
        keys={keys.items}
        upstreams={upstreams.items}
        onApply={(chosen) => {
          setOpen(null);
          setQuery(addressQuery(chosen));
          // The same filters again is a refresh.
          setTick(tick + 1);
        }}
      >
        <a class="button" href={`/api/admin/usage?${exported.toString()}`} download>
          {t('exportCsv')}
        </a>
      </RequestFilterForm>
      <ErrorText text={log.error} />
      <div class="table-wrap">
        <table data-testid="request-log" aria-busy={log.loading}>
          <thead>
            <tr>
              <th>{t('time')}</th>
              <th>{t('user')}</th>
              <th>{t('keyPrefix')}</th>
              <th>{t('model')}</th>
              <th>{t('upstream')}</th>
              <th>{t('status')}</th>
              <th>{t('endReason')}</th>
              <th>{t('ttftShort')}</th>
              <th>{t('tokensShort')}</th>
              <th>{t('cost')}</th>
            </tr>
          </thead>
          <tbody>
            {log.records.map((r) => (
              <Fragment key={r.id}>
                <tr
                  data-request={r.id}
                  class={[
                    r.id === open ? 'selected' : '',
                    r.status !== null && r.status >= 400 ? 'failed' : '',
                  ].join(' ')}
                >
                  <td>
                    <button
                      type="button"
                      class="link"
                      aria-expanded={r.id === open}
                      onClick={() => {
                        setOpen(r.id === open ? null : r.id);
                      }}
                    >
                      {startedAt(r.started_at, lang)}
                    </button>
                  </td>
                  <td data-field="user">{r.user ?? '—'}</td>
                  <td data-field="key">
                    <code>{r.key_prefix ?? '—'}</code>
                  </td>
                  <td data-field="model">{r.model ?? '—'}</td>
                  <td data-field="upstream">{r.upstream ?? '—'}</td>
                  <td data-field="status">{r.status ?? '—'}</td>
                  <td data-field="end-reason">{r.end_reason}</td>
                  <td data-field="ttft">
                    {r.client_ttft_ms === null ? '—' : duration(r.client_ttft_ms)}
                  </td>
                  <td data-field="tokens">{r.prompt_tokens + r.completion_tokens}</td>
                  <td data-field="cost">{r.cost === null ? '—' : usd(r.cost)}</td>
                </tr>
                {r.id === open && (
                  <tr class="detail-row">
                    <td colSpan={COLUMNS}>
                      <RequestDetail
                        record={r}
                        onClose={() => {
                          setOpen(null);
                        }}
                      />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      {!log.loading && log.records.length === 0 && log.error === null && (
        <p class="muted">{t('noRequests')}</p>
      )}
      {log.next !== null && (
        <button type="button" class="ghost" disabled={log.loading} onClick={more}>
          {t('loadMore')}
        </button>
      )}
    </section>
  );
}
