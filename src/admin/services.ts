/** What the admin API's handlers work with. */
import type { Accounts } from '../accounts/index.ts';
import type { Limits, Store } from '../store/types.ts';

export interface AdminServices {
  readonly accounts: Accounts;
  readonly store: Store;
  /** `Config.defaultLimits`: the base that a partial `limits` in a create request is merged over. */
  readonly defaultLimits: { readonly key: Limits; readonly user: Limits };
  readonly now: () => number;
}
