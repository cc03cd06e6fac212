/**
 * Where requests go: each upstream with its priority, weight, models and aliases, and whether it
 * — or one of its keys — is skipped as broken (a circuit breaker open after failures or a 429),
 * until when, and why.
 */
import type { ApiClient } from '../api/client.ts';
import type { AdminUpstream, UpstreamHealth } from '../api/types.ts';
import { useLocale } from '../i18n/locale.ts';
import { ErrorText } from '../ui/error-text.tsx';
import { useList, when } from './use-list.ts';

export function UpstreamsPanel({ api }: { api: ApiClient }) {
  const { t, lang } = useLocale();
  const upstreams = useList<AdminUpstream>(api, '/api/admin/upstreams');
  const state = (health: UpstreamHealth) =>
    health.state === 'closed'
      ? t('breakerClosed')
      : health.state === 'half-open'
        ? t('breakerHalfOpen')
        : t('breakerOpen', { until: when(health.open_until, lang) });
  return (
    <section class="panel" data-testid="upstreams-panel">
      <ErrorText text={upstreams.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{t('upstreams')}</th>
              <th>{t('priority')}</th>
              <th>{t('weight')}</th>
              <th>{t('models')}</th>
              <th>{t('state')}</th>
              <th>{t('upstreamKeys')}</th>
            </tr>
          </thead>
          <tbody>
            {upstreams.items.map((u) => (
              <tr key={u.name} data-upstream={u.name} class={u.state === 'closed' ? '' : 'revoked'}>
                <td>
                  <strong>{u.name}</strong> <span class="muted">{u.family}</span>
                  <br />
                  <code>{u.url}</code>
                </td>
                <td>{u.priority}</td>
                <td>{u.weight}</td>
                <td>
                  {u.models === null ? t('allModels') : u.models.join(', ')}
                  {Object.entries(u.aliases).map(([alias, target]) => (
                    <div key={alias} class="muted">
                      {alias} → {target}
                    </div>
                  ))}
                </td>
                <td title={u.reason ?? ''}>
                  {state(u)}
                  {u.state !== 'closed' && u.reason !== null && (
                    <div class="muted" data-reason>
                      {u.reason}
                    </div>
                  )}
                </td>
                <td>
                  {u.keys.map((k) => (
                    <div key={k.id} title={k.reason ?? ''} data-key-state={k.state}>
                      <code>{k.id}</code> {state(k)}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
