/** `/api/admin/keys`: list, create (the only answer with the secret), revoke. */
import { keyView } from '../accounts/index.ts';
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
        DELETE: async (request) => {
          const key = await accounts.revokeKey(request.params.id ?? '');
          return { status: 200, body: keyView(key, await store.getUser(key.userId)) };
        },
      },
    },
  ];
}
