/**
 * The page's addresses, so a reload or a shared link lands where it was: `/` (a new chat),
 * `/c/<id>` (a conversation), `/admin/users|keys|usage|requests|upstreams`, `/doctor` (the stream
 * test, open without signing in). A page may keep its own state in the query (the request log's
 * filters: `/admin/requests?model=gpt-4o`; the stream test's probe: `/doctor?silence_ms=70000`).
 * The server answers every unknown path with index.html, so these need no server routes.
 */
import { useEffect, useState } from 'preact/hooks';

export const ADMIN_TABS = ['users', 'keys', 'usage', 'requests', 'upstreams'] as const;

export type AdminTab = (typeof ADMIN_TABS)[number];

export type Route =
  | { readonly page: 'chat'; readonly conversationId: string | null }
  | { readonly page: 'admin'; readonly tab: AdminTab }
  | { readonly page: 'doctor' };

export function parseRoute(pathname: string): Route {
  const chat = /^\/c\/([\w-]+)\/?$/.exec(pathname);
  if (chat?.[1] !== undefined) return { page: 'chat', conversationId: chat[1] };
  if (/^\/doctor\/?$/.test(pathname)) return { page: 'doctor' };
  const admin = /^\/admin(?:\/(\w+))?\/?$/.exec(pathname);
  if (admin !== null) {
    const tab = ADMIN_TABS.find((name) => name === admin[1]);
    if (tab !== undefined || admin[1] === undefined) return { page: 'admin', tab: tab ?? 'users' };
  }
  return { page: 'chat', conversationId: null };
}

export function routePath(route: Route): string {
  if (route.page === 'admin') return `/admin/${route.tab}`;
  if (route.page === 'doctor') return '/doctor';
  return route.conversationId === null ? '/' : `/c/${encodeURIComponent(route.conversationId)}`;
}

const listeners = new Set<() => void>();

function moved(): void {
  for (const listener of listeners) listener();
}

/** Goes to `route`; `replace` for moves the back button should skip (a new chat getting its id). */
export function navigate(route: Route, { replace = false }: { replace?: boolean } = {}): void {
  const path = routePath(route);
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  moved();
}

/** Changes only the query of the current address, as a step the back button undoes. */
export function setQuery(query: URLSearchParams): void {
  const text = query.toString();
  const target = text === '' ? location.pathname : `${location.pathname}?${text}`;
  if (target === `${location.pathname}${location.search}`) return;
  history.pushState(null, '', target);
  moved();
}

/** Calls `read` again whenever the address changes (a link, the back button, `setQuery`). */
function useAddress<T>(read: () => T): T {
  const [value, setValue] = useState(read);
  useEffect(() => {
    const update = () => {
      setValue(read);
    };
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
    // `read` reads only the address, so the first one serves for the component's life.
  }, []);
  return value;
}

export function useRoute(): Route {
  return useAddress(() => parseRoute(location.pathname));
}

/** The query of the current address, as text (`model=gpt-4o&status=4xx`, no `?`). */
export function useQuery(): string {
  return useAddress(() => location.search.replace(/^\?/, ''));
}
