/**
 * Changes this process made to keys and users, counted per store. A key cache (the
 * authenticator's) drops what it read of a store before the count last moved: a key revoked or
 * a user disabled through this process (`Accounts`: the admin API, the web admin pages) is
 * refused here at once. Other processes — instances, workers, the CLI — see the change within
 * their cache's lifetime (`KEY_CACHE_MS`).
 */
import type { Store } from '../store/types.ts';

const counts = new WeakMap<Store, number>();

export function noteKeyChange(store: Store): void {
  counts.set(store, (counts.get(store) ?? 0) + 1);
}

export function keyChangesOf(store: Store): number {
  return counts.get(store) ?? 0;
}
