/** A newly created key as the admin API and `sluice keys create --json` show it. */
import { type CreatedKey, keyView } from '../accounts/index.ts';

/** `keyView` plus `key`, the secret: the only answer that ever carries it. */
export function createdKeyView(created: CreatedKey) {
  return { ...keyView(created.key, created.user), key: created.secret };
}
