/** Sign-in, or on a fresh install the creation of the first (admin) account. */
import { useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import type { SessionUser } from '../api/types.ts';
import { useLocale } from '../i18n/locale.ts';
import { LanguageSwitch } from '../ui/language-switch.tsx';
import { ErrorText } from '../ui/error-text.tsx';

export interface SignInProps {
  readonly api: ApiClient;
  readonly setup: boolean;
  readonly onSignedIn: (user: SessionUser) => void;
}

export function SignIn({ api, setup, onSignedIn }: SignInProps) {
  const { t } = useLocale();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    api
      .signIn(setup ? 'setup' : 'login', username.trim(), password)
      .then((signed) => {
        onSignedIn(signed.user);
      })
      .catch((e: unknown) => {
        setError(e instanceof Error ? e.message : String(e));
        setBusy(false);
      });
  };

  return (
    <main class="sign-in">
      <form class="card" onSubmit={submit} data-testid={setup ? 'setup-form' : 'login-form'}>
        <div class="card-head">
          <h1>{setup ? t('setupTitle') : t('signInTitle')}</h1>
          <LanguageSwitch />
        </div>
        {setup && <p class="muted">{t('setupHint')}</p>}
        <label>
          {t('username')}
          <input
            name="username"
            autocomplete="username"
            required
            value={username}
            onInput={(e) => {
              setUsername(e.currentTarget.value);
            }}
          />
        </label>
        <label>
          {t('password')}
          <input
            name="password"
            type="password"
            autocomplete={setup ? 'new-password' : 'current-password'}
            required
            value={password}
            onInput={(e) => {
              setPassword(e.currentTarget.value);
            }}
          />
          {setup && <small class="muted">{t('passwordHint')}</small>}
        </label>
        <ErrorText text={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('working') : setup ? t('setupButton') : t('signIn')}
        </button>
      </form>
    </main>
  );
}
