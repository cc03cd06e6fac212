/**
 * The page's addresses, so a reload or a shared link lands where it was: `/` (a new chat),
 * `/c/<id>` (a conversation), `/admin/users|keys|usage`. The server answers every unknown path
 * with index.html, so these need no server routes.
 */
import { useEffect, useState } from 'preact/hooks';

export type AdminTab = 'users' | 'keys' | 'usage' | 'upstreams';

export type Route =
  | { readonly page: 'chat'; readonly conversationId: string | null }
  | { readonly page: 'admin'; readonly tab: AdminTab };

export function parseRoute(pathname: string): Route {
  const chat = /^\/c\/([\w-]+)\/?$/.exec(pathname);
  if (chat?.[1] !== undefined) return { page: 'chat', conversationId: chat[1] };
  const admin = /^\/admin(?:\/(users|keys|usage|upstreams))?\/?$/.exec(pathname);
  if (admin !== null) return { page: 'admin', tab: (admin[1] as AdminTab | undefined) ?? 'users' };
  return { page: 'chat', conversationId: null };
}

export function routePath(route: Route): string {
  if (route.page === 'admin') return `/admin/${route.tab}`;
  return route.conversationId === null ? '/' : `/c/${encodeURIComponent(route.conversationId)}`;
}

const listeners = new Set<() => void>();

/** Goes to `route`; `replace` for moves the back button should skip (a new chat getting its id). */
export function navigate(route: Route, { replace = false }: { replace?: boolean } = {}): void {
  const path = routePath(route);
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => {
      setRoute(parseRoute(location.pathname));
    };
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}
