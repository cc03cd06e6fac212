/** `/api/admin/users`: list, create, and change one user (password, role, disabled, limits). */
import { userView } from '../accounts/index.ts';
import {
  optionalBoolean,
  optionalLimits,
  optionalRole,
  optionalString,
  rejectUnknownFields,
  requiredString,
} from './json-fields.ts';
import type { AdminRoute } from './route.ts';
import type { AdminServices } from './services.ts';

export function userRoutes({ accounts, defaultLimits }: AdminServices): AdminRoute[] {
  return [
    {
      path: 'users',
      methods: {
        GET: async () => ({
          status: 200,
          body: { data: (await accounts.listUsers()).map(userView) },
        }),
        POST: async (request) => {
          const body = await request.body();
          rejectUnknownFields(body, ['username', 'password', 'role', 'limits']);
          const role = optionalRole(body, 'role');
          const limits = optionalLimits(body, 'limits', defaultLimits.user);
          const user = await accounts.addUser({
            username: requiredString(body, 'username'),
            password: requiredString(body, 'password'),
            ...(role === undefined ? {} : { role }),
            ...(limits === undefined ? {} : { limits }),
          });
          return { status: 201, body: userView(user) };
        },
      },
    },
    {
      path: 'users/:username',
      methods: {
        GET: async (request) => ({
          status: 200,
          body: userView(await accounts.user(request.params.username ?? '')),
        }),
        PATCH: async (request) => {
          const username = request.params.username ?? '';
          const body = await request.body();
          rejectUnknownFields(body, ['disabled', 'password', 'role', 'limits']);
          // Every field is checked before anything changes, and the password (the one change
          // that can still be refused, as too weak) goes first: a bad request changes nothing.
          const password = optionalString(body, 'password');
          const role = optionalRole(body, 'role');
          const disabled = optionalBoolean(body, 'disabled');
          let user = await accounts.user(username);
          const limits = optionalLimits(body, 'limits', user.limits);
          if (password !== undefined) user = await accounts.setPassword(username, password);
          if (role !== undefined) user = await accounts.setRole(username, role);
          if (disabled !== undefined) user = await accounts.setDisabled(username, disabled);
          if (limits !== undefined) user = await accounts.setLimits(username, limits);
          return { status: 200, body: userView(user) };
        },
      },
    },
  ];
}
