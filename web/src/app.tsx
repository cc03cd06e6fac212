/**
 * The page: under one language, either the stream test (`/doctor`, open to anyone: it asks the
 * server nothing but the probe) or the signed-in app — it asks the server who is signed in, then
 * shows sign-in (or first-run setup), the chat or the admin pages, under one top bar.
 */
import type { ComponentType } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { AdminPage } from './admin/admin-page.tsx';
import { ApiClient } from './api/client.ts';
import type { SessionInfo, SessionUser } from './api/types.ts';
import { SignIn } from './auth/sign-in.tsx';
import { ChatPage } from './chat/chat-page.tsx';
import { initialLang, LocaleContext, saveLang, translator, useLocale } from './i18n/locale.ts';
import type { Lang } from './i18n/strings.ts';
import { navigate, type Route, useRoute } from './route.ts';
import { TopBar } from './ui/top-bar.tsx';

type SessionState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'signed-out'; readonly setup: boolean }
  | { readonly kind: 'signed-in'; readonly user: SessionUser };

export function App() {
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
  const route = useRoute();
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  return (
    <LocaleContext.Provider value={locale}>
      {route.page === 'doctor' ? <Doctor /> : <SignedIn route={route} />}
    </LocaleContext.Provider>
  );
}

/** The stream test, loaded on its own: the chat's visitors do not download the classifier. */
function Doctor() {
  const [page, setPage] = useState<ComponentType | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    import('./doctor/doctor-page.tsx')
      .then((module) => {
        setPage(() => module.DoctorPage);
      })
      .catch((e: unknown) => {
        setFailed(e instanceof Error ? e.message : String(e));
      });
  }, []);
  if (failed !== null) return <p class="error-text splash">{failed}</p>;
  const DoctorPage = page;
  return DoctorPage === null ? <div class="splash" aria-busy="true" /> : <DoctorPage />;
}

function SignedIn({ route }: { route: Exclude<Route, { page: 'doctor' }> }) {
  const { t } = useLocale();
  const api = useMemo(() => new ApiClient(), []);
  const [session, setSession] = useState<SessionState>({ kind: 'loading' });
  const [drawerOpen, setDrawerOpen] = useState(false);

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

  const signOut = () => {
    void api.signOut().finally(() => {
      navigate({ page: 'chat', conversationId: null });
      refresh();
    });
  };

  return (
    <>
      {session.kind === 'loading' && <div class="splash" aria-busy="true" />}
      {session.kind === 'failed' && (
        <div class="splash">
          <p class="error-text">{t('loadFailed', { message: session.message })}</p>
          <a href="/doctor">{t('doctorOpen')}</a>
        </div>
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
    </>
  );
}
