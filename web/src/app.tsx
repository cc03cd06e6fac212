/**
 * The page: asks the server who is signed in, then shows sign-in (or first-run setup), the chat
 * or the admin pages, under one top bar with the language switch.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { AdminPage } from './admin/admin-page.tsx';
import { ApiClient } from './api/client.ts';
import type { SessionInfo, SessionUser } from './api/types.ts';
import { SignIn } from './auth/sign-in.tsx';
import { ChatPage } from './chat/chat-page.tsx';
import { initialLang, LocaleContext, saveLang, translator } from './i18n/locale.ts';
import type { Lang } from './i18n/strings.ts';
import { navigate, useRoute } from './route.ts';
import { TopBar } from './ui/top-bar.tsx';

type SessionState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'signed-out'; readonly setup: boolean }
  | { readonly kind: 'signed-in'; readonly user: SessionUser };

export function App() {
  const api = useMemo(() => new ApiClient(), []);
  const [lang, setLangState] = useState<Lang>(initialLang);
  const locale = useMemo(
    () => ({
      lang,
      t: translator(lang),
      setLang: (next: Lang) => {
        saveLang(next);
        setLangState(next);
      },
    }),
    [lang],
  );
  const [session, setSession] = useState<SessionState>({ kind: 'loading' });
  const [drawerOpen, setDrawerOpen] = useState(false);
  const route = useRoute();

  const refresh = useCallback(() => {
    api
      .session()
      .then((info: SessionInfo) => {
        setSession(
          info.user === null
            ? { kind: 'signed-out', setup: info.setup_required }
            : { kind: 'signed-in', user: info.user },
        );
      })
      .catch((e: unknown) => {
        setSession({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
      });
  }, [api]);

  useEffect(refresh, [refresh]);
  useEffect(() => {
    api.onSignedOut = refresh;
  }, [api, refresh]);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const signOut = () => {
    void api.signOut().finally(() => {
      navigate({ page: 'chat', conversationId: null });
      refresh();
    });
  };

  return (
    <LocaleContext.Provider value={locale}>
      {session.kind === 'loading' && <div class="splash" aria-busy="true" />}
      {session.kind === 'failed' && (
        <p class="error-text splash">{locale.t('loadFailed', { message: session.message })}</p>
      )}
      {session.kind === 'signed-out' && (
        <SignIn
          api={api}
          setup={session.setup}
          onSignedIn={(user) => {
            setSession({ kind: 'signed-in', user });
          }}
        />
      )}
      {session.kind === 'signed-in' && (
        <div class="app">
          <TopBar
            user={session.user}
            route={route}
            onMenu={() => {
              setDrawerOpen(!drawerOpen);
            }}
            drawerOpen={drawerOpen}
            onSignOut={signOut}
          />
          {route.page === 'admin' ? (
            <AdminPage api={api} tab={route.tab} isAdmin={session.user.role === 'admin'} />
          ) : (
            <ChatPage
              api={api}
              conversationId={route.conversationId}
              drawerOpen={drawerOpen}
              setDrawerOpen={setDrawerOpen}
            />
          )}
        </div>
      )}
    </LocaleContext.Provider>
  );
}
