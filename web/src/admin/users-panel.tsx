/** Users: the list, a form to add one, disabling or enabling an account, and its limits. */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import type { AdminUser, Role } from '../api/types.ts';
import { useLocale } from '../i18n/locale.ts';
import { ErrorText } from '../ui/error-text.tsx';
import { LimitsForm, limitsSummary } from './limits-form.tsx';
import { errorText, useList, when } from './use-list.ts';

const COLUMNS = 6;

export function UsersPanel({ api }: { api: ApiClient }) {
  const { t, lang } = useLocale();
  const users = useList<AdminUser>(api, '/api/admin/users');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('user');
  /** The user whose limits are being edited. */
  const [editing, setEditing] = useState<string | null>(null);

  const create = (event: SubmitEvent) => {
    event.preventDefault();
    api
      .json('POST', '/api/admin/users', { username: username.trim(), password, role })
      .then(() => {
        setUsername('');
        setPassword('');
        users.reload();
      })
      .catch((e: unknown) => {
        users.setError(errorText(e));
      });
  };
  const setDisabled = (user: AdminUser, disabled: boolean) => {
    api
      .json('PATCH', `/api/admin/users/${encodeURIComponent(user.username)}`, { disabled })
      .then(users.reload)
      .catch((e: unknown) => {
        users.setError(errorText(e));
      });
  };

  return (
    <section class="panel" data-testid="users-panel">
      <form class="inline-form" onSubmit={create}>
        <input
          name="username"
          placeholder={t('username')}
          aria-label={t('username')}
          required
          value={username}
          onInput={(e) => {
            setUsername(e.currentTarget.value);
          }}
        />
        <input
          name="password"
          type="password"
          autocomplete="new-password"
          placeholder={t('password')}
          aria-label={t('password')}
          required
          value={password}
          onInput={(e) => {
            setPassword(e.currentTarget.value);
          }}
        />
        <select
          name="role"
          aria-label={t('role')}
          value={role}
          onChange={(e) => {
            setRole(e.currentTarget.value as Role);
          }}
        >
          <option value="user">{t('roleUser')}</option>
          <option value="admin">{t('roleAdmin')}</option>
        </select>
        <button type="submit" class="primary">
          {t('createUser')}
        </button>
      </form>
      <ErrorText text={users.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{t('username')}</th>
              <th>{t('role')}</th>
              <th>{t('state')}</th>
              <th>{t('created')}</th>
              <th>{t('limits')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.items.map((user) => (
              <Fragment key={user.id}>
                <tr data-user={user.username}>
                  <td>{user.username}</td>
                  <td>{user.role === 'admin' ? t('roleAdmin') : t('roleUser')}</td>
                  <td>
                    <span class={`badge ${user.disabled ? 'error' : 'ok'}`}>
                      {user.disabled ? t('disabled') : t('active')}
                    </span>
                  </td>
                  <td>{when(user.created_at, lang)}</td>
                  <td data-field="limits">{limitsSummary(user.limits, t)}</td>
                  <td class="actions">
                    <button
                      type="button"
                      class="ghost"
                      aria-expanded={editing === user.username}
                      onClick={() => {
                        setEditing(editing === user.username ? null : user.username);
                      }}
                    >
                      {t('editLimits')}
                    </button>
                    <button
                      type="button"
                      class="ghost"
                      onClick={() => {
                        setDisabled(user, !user.disabled);
                      }}
                    >
                      {user.disabled ? t('enable') : t('disable')}
                    </button>
                  </td>
                </tr>
                {editing === user.username && (
                  <tr class="limits-row" data-limits-of={user.username}>
                    <td colSpan={COLUMNS}>
                      <LimitsForm
                        title={t('limitsOf', { name: user.username })}
                        limits={user.limits}
                        save={(limits) =>
                          api.json(
                            'PATCH',
                            `/api/admin/users/${encodeURIComponent(user.username)}`,
                            {
                              limits,
                            },
                          )
                        }
                        onDone={() => {
                          setEditing(null);
                          users.reload();
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
