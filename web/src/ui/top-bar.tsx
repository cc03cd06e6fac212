/** The bar above every page: the drawer toggle (narrow screens), where to go, language, sign-out. */
import type { SessionUser } from '../api/types.ts';
import { useLocale } from '../i18n/locale.ts';
import { navigate, type Route, routePath } from '../route.ts';
import { LanguageSwitch } from './language-switch.tsx';

export interface TopBarProps {
  readonly user: SessionUser;
  readonly route: Route;
  readonly drawerOpen: boolean;
  readonly onMenu: () => void;
  readonly onSignOut: () => void;
}

export function TopBar({ user, route, drawerOpen, onMenu, onSignOut }: TopBarProps) {
  const { t } = useLocale();
  const link = (target: Route, label: string, active: boolean) => (
    <a
      href={routePath(target)}
      class={active ? 'active' : ''}
      onClick={(event) => {
        event.preventDefault();
        navigate(target);
      }}
    >
      {label}
    </a>
  );
  return (
    <header class="top-bar">
      {route.page === 'chat' && (
        <button
          type="button"
          class="ghost icon menu-toggle"
          aria-label={t('menu')}
          aria-controls="conversation-drawer"
          aria-expanded={drawerOpen}
          onClick={onMenu}
        >
          ☰
        </button>
      )}
      <span class="brand">{t('appName')}</span>
      <nav>
        {link({ page: 'chat', conversationId: null }, t('chat'), route.page === 'chat')}
        {user.role === 'admin' &&
          link({ page: 'admin', tab: 'users' }, t('admin'), route.page === 'admin')}
        {link({ page: 'doctor' }, t('doctor'), false)}
      </nav>
      <span class="spacer" />
      <LanguageSwitch />
      <span class="user-name muted">{user.username}</span>
      <button type="button" class="ghost sign-out" onClick={onSignOut}>
        {t('signOut')}
      </button>
    </header>
  );
}
