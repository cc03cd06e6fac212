/** `sluice keys …`: create (the secret shown once), list, revoke. */
import { parseArgs } from 'node:util';
import { keyView, parseRouteScopes, ROUTE_SCOPES } from '../accounts/index.ts';
// The two files, not the folder's index: a CLI command does not load the admin API.
import { parseExpiry, parseModelList } from '../admin/params.ts';
import { createdKeyView } from '../admin/views.ts';
import { onePositional } from './args.ts';
import { type CommandGroup, commandList, EXIT, type Subcommand, UsageError } from './command.ts';
import { describeLimits, LIMIT_HELP, LIMIT_OPTIONS, limitsFromFlags } from './limit-flags.ts';
import {
  DATABASE_HELP,
  STORE_HELP,
  STORE_OPTIONS,
  parseStoreArgs,
  withStore,
} from './store-context.ts';
import { formatTable, timeCell } from './table.ts';

const create: Subcommand = {
  name: 'create',
  summary: 'create a key for a user (shown once)',
  help: `Usage: sluice keys create --user NAME [options]

Creates an API key for a user and prints it. This is the only time the key is shown: Sluice
keeps only its hash. Clients send it as "Authorization: Bearer <key>".

Options:
  --user NAME          the user the key belongs to (required)
  --name TEXT          a label to recognise the key by, e.g. "ci" or "laptop"
  --models LIST        model names or patterns it may use, comma-separated: gpt-4o,claude-*
                       (default: every model)
  --routes LIST        /v1 route scopes it may reach beyond inference and the model list,
                       comma-separated: ${ROUTE_SCOPES.join(',')}
                       (default: none; objects it creates there are its user's alone)
  --expires WHEN       an ISO time (2027-01-31, 2027-01-31T12:00:00Z) or a span such as 30d,
                       12h, 2w (default: never)
  --json               print the key as JSON: {"id", "key", "prefix", "user", …}
${STORE_HELP}

Limits (without any, the key gets defaultLimits.key of the config file; each one given
replaces just that value of the defaults):
${LIMIT_HELP}

${DATABASE_HELP}
`,
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        user: { type: 'string' },
        name: { type: 'string' },
        models: { type: 'string' },
        routes: { type: 'string' },
        expires: { type: 'string' },
        json: { type: 'boolean' },
        ...LIMIT_OPTIONS,
        ...STORE_OPTIONS,
      },
      strict: true,
    });
    const username = values.user;
    if (username === undefined || username === '') throw new UsageError('--user NAME is required');
    const models = values.models === undefined ? undefined : parseModelList(values.models);
    if (values.models !== undefined && models === undefined) {
      throw new UsageError(
        '--models takes model names or patterns, comma-separated: gpt-4o,claude-*',
      );
    }
    const routes =
      values.routes === undefined ? undefined : parseRouteScopes(values.routes.split(','));
    if (routes === undefined && values.routes !== undefined) {
      throw new UsageError(
        `--routes takes route scopes, comma-separated, from: ${ROUTE_SCOPES.join(', ')}; got "${values.routes}"`,
      );
    }
    const expiresAt =
      values.expires === undefined ? undefined : parseExpiry(values.expires, Date.now());
    if (values.expires !== undefined && expiresAt === undefined) {
      throw new UsageError(
        `--expires takes an ISO time such as 2027-01-31T00:00:00Z, or a span such as 30d; got "${values.expires}"`,
      );
    }
    return withStore(values, io, async ({ accounts, config }) => {
      const limits = limitsFromFlags(values, config.defaultLimits.key);
      const created = await accounts.createKey({
        username,
        ...(values.name === undefined ? {} : { name: values.name }),
        ...(models === undefined ? {} : { models }),
        ...(routes === undefined ? {} : { routes }),
        ...(expiresAt === undefined ? {} : { expiresAt }),
        ...(limits === undefined ? {} : { limits }),
      });
      if (values.json === true) {
        io.stdout.write(`${JSON.stringify(createdKeyView(created), null, 2)}\n`);
        return EXIT.ok;
      }
      const { key, user } = created;
      const label = key.name === '' ? 'a key' : `key "${key.name}"`;
      io.stdout.write(`Created ${label} for "${user.username}":

    ${created.secret}

This is the only time the key is shown; Sluice keeps only its hash. Store it now.

  id       ${key.id}
  prefix   ${key.prefix}
  expires  ${key.expiresAt === null ? 'never' : new Date(key.expiresAt).toISOString()}
  models   ${key.models === null ? 'all' : key.models.join(', ')}
  routes   inference${key.routes.map((r) => `, ${r}`).join('')}
  limits   ${describeLimits(key.limits)}
`);
      return EXIT.ok;
    });
  },
};

const list: Subcommand = {
  name: 'list',
  summary: 'list keys (never the keys themselves)',
  help: `Usage: sluice keys list [--user NAME] [--json] [options]

Lists keys by their visible prefix, with owner, times (UTC) and limits. The keys themselves
cannot be listed: Sluice keeps only their hashes.

Options:
  --user NAME          only this user's keys
  --json               print a JSON array of keys, as the admin API shows them
${STORE_HELP}

${DATABASE_HELP}
`,
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: { user: { type: 'string' }, json: { type: 'boolean' }, ...STORE_OPTIONS },
      strict: true,
    });
    return withStore(values, io, async ({ accounts }) => {
      const keys = await accounts.listKeys(values.user);
      if (values.json === true) {
        io.stdout.write(
          `${JSON.stringify(
            keys.map(({ key, user }) => keyView(key, user)),
            null,
            2,
          )}\n`,
        );
      } else if (keys.length === 0) {
        io.stdout.write('No keys yet; create one with: sluice keys create --user NAME\n');
      } else {
        io.stdout.write(
          formatTable(
            [
              'PREFIX',
              'NAME',
              'USER',
              'CREATED',
              'LAST USED',
              'EXPIRES',
              'REVOKED',
              'ROUTES',
              'LIMITS',
            ],
            keys.map(({ key, user }) => [
              key.prefix,
              key.name === '' ? '-' : key.name,
              user?.username ?? '-',
              timeCell(key.createdAt),
              timeCell(key.lastUsedAt),
              timeCell(key.expiresAt),
              timeCell(key.revokedAt),
              // Beyond inference and the model list, which every key reaches.
              key.routes.length === 0 ? '-' : key.routes.join(','),
              describeLimits(key.limits),
            ]),
          ),
        );
      }
      return EXIT.ok;
    });
  },
};

const revoke: Subcommand = {
  name: 'revoke',
  summary: 'revoke a key by id or prefix',
  help: `Usage: sluice keys revoke ID-or-PREFIX [options]

Revokes a key: it is refused (401) from the next request on, on every instance. Name it by
its id or by a prefix that matches exactly one key (as "sluice keys list" shows it).

Options:
${STORE_HELP}

${DATABASE_HELP}
`,
  async run(args, io) {
    const { values, positionals } = parseStoreArgs(args);
    const idOrPrefix = onePositional(positionals, 'ID-or-PREFIX');
    return withStore(values, io, async ({ accounts, store }) => {
      const key = await accounts.revokeKey(idOrPrefix);
      const owner = (await store.getUser(key.userId))?.username ?? key.userId;
      const name = key.name === '' ? '' : ` "${key.name}"`;
      io.stdout.write(`Revoked key ${key.prefix}…${name} of "${owner}".\n`);
      return EXIT.ok;
    });
  },
};

const subcommands = [create, list, revoke];

export const keys: CommandGroup = {
  name: 'keys',
  subcommands,
  help: `Usage: sluice keys <subcommand> [options]

Manages the API keys clients send to Sluice ("Authorization: Bearer <key>").

Subcommands:
${commandList(subcommands)}

Run "sluice keys <subcommand> --help" for its options.
`,
};
