import type { Config } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import type { Store } from '../store/index.ts';

/** On a fresh store without a bootstrap key: where to create the first account. */
export async function hintFirstUser(
  config: Config,
  store: Store,
  page: URL,
  log: Logger,
): Promise<void> {
  if (config.adminKey !== undefined || (await store.countUsers()) > 0) return;
  log.warn(
    `no users yet: open ${page.href} to create the first (admin) account, or run \`sluice users add NAME --password-stdin\`; ` +
      'then `sluice keys create --user NAME` makes an API key (or set SLUICE_ADMIN_KEY)',
    { setup: page.href },
  );
}
