/** The admin pages: users, keys, usage, the request log, upstreams — tabs with their own addresses. */
import type { ApiClient } from '../api/client.ts';
import { useLocale } from '../i18n/locale.ts';
import { ADMIN_TABS, type AdminTab, navigate } from '../route.ts';
import { KeysPanel } from './keys-panel.tsx';
import { RequestsPanel } from './requests-panel.tsx';
import { UpstreamsPanel } from './upstreams-panel.tsx';
import { UsagePanel } from './usage-panel.tsx';
import { UsersPanel } from './users-panel.tsx';

export function AdminPage({
  api,
  tab,
  isAdmin,
}: {
  api: ApiClient;
  tab: AdminTab;
  isAdmin: boolean;
}) {
  const { t } = useLocale();
  if (!isAdmin) return <p class="error-text admin-denied">{t('adminOnly')}</p>;
  return (
    <main class="admin">
      <nav class="tabs" aria-label={t('admin')}>
        {ADMIN_TABS.map((name) => (
          <a
            key={name}
            href={`/admin/${name}`}
            class={name === tab ? 'active' : ''}
            aria-current={name === tab ? 'page' : undefined}
            onClick={(event) => {
              event.preventDefault();
              navigate({ page: 'admin', tab: name });
            }}
          >
            {t(name)}
          </a>
        ))}
      </nav>
      {tab === 'users' && <UsersPanel api={api} />}
      {tab === 'keys' && <KeysPanel api={api} />}
      {tab === 'usage' && <UsagePanel api={api} />}
      {tab === 'requests' && <RequestsPanel api={api} />}
      {tab === 'upstreams' && <UpstreamsPanel api={api} />}
    </main>
  );
}
