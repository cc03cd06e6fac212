/** `/api/admin/keys`: list, create (the only answer with the secret), change limits, revoke. */
import { keyView } from '../accounts/index.ts';
import { AmbiguousKeyError, KeyNotFoundError } from '../errors/index.ts';
import type { ApiKey, Store } from '../store/types.ts';
import {
  optionalExpiry,
  optionalLimits,
  optionalModels,
  optionalRoutes,
  optionalString,
  rejectUnknownFields,
  requiredString,
} from './json-fields.ts';
import type { AdminRoute } from './route.ts';
import type { AdminServices } from './services.ts';
import { createdKeyView } from './views.ts';

export function keyRoutes({ accounts, store, defaultLimits, now }: AdminServices): AdminRoute[] {
  return [
    {
      path: 'keys',
      methods: {
        GET: async (request) => {
          const keys = await accounts.listKeys(request.query.get('user') ?? undefined);
          return { status: 200, body: { data: keys.map(({ key, user }) => keyView(key, user)) } };
        },
        POST: async (request) => {
          const body = await request.body();
          rejectUnknownFields(body, ['user', 'name', 'models', 'routes', 'expires_at', 'limits']);
          const name = optionalString(body, 'name');
          const models = optionalModels(body, 'models');
          const routes = optionalRoutes(body, 'routes');
          const expiresAt = optionalExpiry(body, 'expires_at', now());
          const limits = optionalLimits(body, 'limits', defaultLimits.key);
          const created = await accounts.createKey({
            username: requiredString(body, 'user'),
            ...(name === undefined ? {} : { name }),
            ...(models === undefined ? {} : { models }),
            ...(routes === undefined ? {} : { routes }),
            ...(expiresAt === undefined ? {} : { expiresAt }),
            ...(limits === undefined ? {} : { limits }),
          });
          return { status: 201, body: createdKeyView(created) };
        },
      },
    },
    {
      path: 'keys/:id',
      methods: {
        /** Limits, merged over the key's own as for a user; nothing else of a key changes. */
        PATCH: async (request) => {
          const body = await request.body();
          rejectUnknownFields(body, ['limits']);
          const key = await findKey(store, request.params.id ?? '');
          const limits = optionalLimits(body, 'limits', key.limits);
          const updated = limits === undefined ? key : await store.updateKey(key.id, { limits });
          if (updated === undefined) throw new KeyNotFoundError(`There is no key "${key.id}".`);
          return { status: 200, body: keyView(updated, await store.getUser(updated.userId)) };
        },
        DELETE: async (request) => {
          const key = await accounts.revokeKey(request.params.id ?? '');
          return { status: 200, body: keyView(key, await store.getUser(key.userId)) };
        },
      },
    },
  ];
}

/**
 * A key by its id, or by a prefix that names exactly one key in use — as `DELETE` takes it
 * (`Accounts.revokeKey`), so a key is named the same way wherever it is named.
 */
async function findKey(store: Store, idOrPrefix: string): Promise<ApiKey> {
  const byId = await store.getKey(idOrPrefix);
  if (byId !== undefined) return byId;
  const matches = (await store.listKeys()).filter(
    (k) => k.revokedAt === null && k.prefix.startsWith(idOrPrefix),
  );
  const [only] = matches;
  if (matches.length === 1 && only !== undefined) return only;
  if (matches.length === 0) {
    throw new KeyNotFoundError(`There is no key with id or prefix "${idOrPrefix}".`);
  }
  throw new AmbiguousKeyError(idOrPrefix, matches.length);
}
