/**
 * API keys: create one for a user (its secret shown this once, with a copy button — the server
 * keeps only a hash), with the `/v1` routes it may reach beyond inference; the list, each key's
 * limits, and revoking.
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import type { AdminKey, AdminUser, CreatedKey } from '../api/types.ts';
import { useLocale } from '../i18n/locale.ts';
import { CopyButton } from '../ui/copy-button.tsx';
import { ErrorText } from '../ui/error-text.tsx';
import { LimitsForm, limitsSummary } from './limits-form.tsx';
import { errorText, useList, when } from './use-list.ts';

const COLUMNS = 9;

export function KeysPanel({ api }: { api: ApiClient }) {
  const { t, lang } = useLocale();
  const keys = useList<AdminKey>(api, '/api/admin/keys');
  const users = useList<AdminUser>(api, '/api/admin/users');
  const [user, setUser] = useState('');
  const [name, setName] = useState('');
  const [routes, setRoutes] = useState('');
  const [created, setCreated] = useState<CreatedKey | null>(null);
  /** The key whose limits are being edited, by id. */
  const [editing, setEditing] = useState<string | null>(null);
  const owner = user !== '' ? user : (users.items[0]?.username ?? '');

  const create = (event: SubmitEvent) => {
    event.preventDefault();
    api
      .json<CreatedKey>('POST', '/api/admin/keys', {
        user: owner,
        ...(name.trim() === '' ? {} : { name: name.trim() }),
        ...(routeList(routes).length === 0 ? {} : { routes: routeList(routes) }),
      })
      .then((key) => {
        setCreated(key);
        setName('');
        setRoutes('');
        keys.reload();
      })
      .catch((e: unknown) => {
        keys.setError(errorText(e));
      });
  };
  const revoke = (key: AdminKey) => {
    if (!confirm(t('confirmRevoke', { prefix: key.prefix }))) return;
    api
      .json('DELETE', `/api/admin/keys/${encodeURIComponent(key.id)}`)
      .then(keys.reload)
      .catch((e: unknown) => {
        keys.setError(errorText(e));
      });
  };

  return (
    <section class="panel" data-testid="keys-panel">
      <form class="inline-form" onSubmit={create}>
        <select
          name="user"
          aria-label={t('user')}
          value={owner}
          onChange={(e) => {
            setUser(e.currentTarget.value);
          }}
        >
          {users.items.map((u) => (
            <option key={u.id} value={u.username}>
              {u.username}
            </option>
          ))}
        </select>
        <input
          name="name"
          placeholder={t('keyName')}
          aria-label={t('keyName')}
          value={name}
          onInput={(e) => {
            setName(e.currentTarget.value);
          }}
        />
        <input
          name="routes"
          placeholder={t('routesHint')}
          aria-label={t('routes')}
          value={routes}
          onInput={(e) => {
            setRoutes(e.currentTarget.value);
          }}
        />
        <button type="submit" class="primary" disabled={owner === ''}>
          {t('createKey')}
        </button>
      </form>
      {created !== null && (
        <div class="new-key" role="status" data-testid="new-key">
          <p>
            <strong>{t('keyShownOnce')}</strong>
          </p>
          <div class="command">
            <code data-testid="new-key-secret">{created.key}</code>
            <CopyButton text={created.key} />
          </div>
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setCreated(null);
            }}
          >
            {t('dismiss')}
          </button>
        </div>
      )}
      <ErrorText text={keys.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{t('keyPrefix')}</th>
              <th>{t('keyName')}</th>
              <th>{t('user')}</th>
              <th>{t('models')}</th>
              <th>{t('routes')}</th>
              <th>{t('lastUsed')}</th>
              <th>{t('expires')}</th>
              <th>{t('limits')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.items.map((key) => (
              <Fragment key={key.id}>
                <tr class={key.revoked_at === null ? '' : 'revoked'} data-key={key.id}>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{key.name ?? '—'}</td>
                  <td>{key.user ?? '—'}</td>
                  <td>{key.models === null ? t('allModels') : key.models.join(', ')}</td>
                  <td>{[t('inferenceOnly'), ...key.routes].join(', ')}</td>
                  <td>{when(key.last_used_at, lang)}</td>
                  <td>{key.expires_at === null ? t('never') : when(key.expires_at, lang)}</td>
                  <td data-field="limits">{limitsSummary(key.limits, t)}</td>
                  <td class="actions">
                    {key.revoked_at === null && (
                      <button
                        type="button"
                        class="ghost"
                        aria-expanded={editing === key.id}
                        onClick={() => {
                          setEditing(editing === key.id ? null : key.id);
                        }}
                      >
                        {t('editLimits')}
                      </button>
                    )}
                    {key.revoked_at === null ? (
                      <button
                        type="button"
                        class="ghost danger-text"
                        onClick={() => {
                          revoke(key);
                        }}
                      >
                        {t('revoke')}
                      </button>
                    ) : (
                      <span class="badge error">{t('revoked')}</span>
                    )}
                  </td>
                </tr>
                {editing === key.id && (
                  <tr class="limits-row" data-limits-of={key.id}>
                    <td colSpan={COLUMNS}>
                      <LimitsForm
                        title={t('limitsOf', { name: `${key.prefix}…` })}
                        limits={key.limits}
                        save={(limits) =>
                          api.json('PATCH', `/api/admin/keys/${encodeURIComponent(key.id)}`, {
                            limits,
                          })
                        }
                        onDone={() => {
                          setEditing(null);
                          keys.reload();
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
    </section>
  );
}

/** `files, batches` → `["files", "batches"]`; the server says which names it does not know. */
function routeList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((r) => r.trim())
    .filter((r) => r !== '');
}
