/** `sluice users …`: add, list, disable, enable, change password, role and limits. */
import { parseArgs } from 'node:util';
import { type Accounts, userView } from '../accounts/index.ts';
import type { User } from '../store/types.ts';
import { onePositional } from './args.ts';
import { type CommandGroup, commandList, EXIT, type Subcommand, UsageError } from './command.ts';
import { describeLimits, LIMIT_HELP, LIMIT_OPTIONS, limitsFromFlags } from './limit-flags.ts';
import { PASSWORD_HELP, passwordFromStdin } from './password-stdin.ts';
import {
  DATABASE_HELP,
  STORE_HELP,
  STORE_OPTIONS,
  parseStoreArgs,
  withStore,
} from './store-context.ts';
import { formatTable, timeCell } from './table.ts';

const add: Subcommand = {
  name: 'add',
  summary: 'add a user (the first user is always an admin)',
  help: `Usage: sluice users add NAME --password-stdin [--admin] [options]

Adds a user who can then be given keys ("sluice keys create --user NAME"). Usernames compare
case-insensitively. The very first user becomes an admin whatever the flags say.

Options:
${PASSWORD_HELP}
  --admin              make the user an admin (may use the admin API and see all usage)
${STORE_HELP}

Limits (without any, the user gets defaultLimits.user of the config file; each one given
replaces just that value of the defaults):
${LIMIT_HELP}

${DATABASE_HELP}
`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        'password-stdin': { type: 'boolean' },
        admin: { type: 'boolean' },
        ...LIMIT_OPTIONS,
        ...STORE_OPTIONS,
      },
      allowPositionals: true,
      strict: true,
    });
    const username = onePositional(positionals, 'NAME');
    const password = await passwordFromStdin(io, values['password-stdin']);
    return withStore(values, io, async ({ accounts, config }) => {
      const limits = limitsFromFlags(values, config.defaultLimits.user);
      const user = await accounts.addUser({
        username,
        password,
        role: values.admin === true ? 'admin' : 'user',
        ...(limits === undefined ? {} : { limits }),
      });
      const firstAdmin = user.role === 'admin' && values.admin !== true;
      io.stdout.write(
        `Added user "${user.username}" (${user.role}${firstAdmin ? ': the first user always is' : ''}).\n` +
          `Give them a key with: sluice keys create --user ${user.username}\n`,
      );
      return EXIT.ok;
    });
  },
};

const list: Subcommand = {
  name: 'list',
  summary: 'list users',
  help: `Usage: sluice users list [--json] [options]

Lists every user: name, role, whether disabled, when created (UTC) and limits.

Options:
  --json               print a JSON array of users, as the admin API shows them
${STORE_HELP}

${DATABASE_HELP}
`,
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: { json: { type: 'boolean' }, ...STORE_OPTIONS },
      strict: true,
    });
    return withStore(values, io, async ({ accounts }) => {
      const users = await accounts.listUsers();
      if (values.json === true) {
        io.stdout.write(`${JSON.stringify(users.map(userView), null, 2)}\n`);
      } else if (users.length === 0) {
        io.stdout.write('No users yet; add one with: sluice users add NAME --password-stdin\n');
      } else {
        io.stdout.write(
          formatTable(
            ['USERNAME', 'ROLE', 'STATUS', 'CREATED', 'LIMITS'],
            users.map((u) => [
              u.username,
              u.role,
              u.disabled ? 'disabled' : 'active',
              timeCell(u.createdAt),
              describeLimits(u.limits),
            ]),
          ),
        );
      }
      return EXIT.ok;
    });
  },
};

/** A subcommand that takes NAME and nothing else, and reports what it changed. */
function userChange(
  name: string,
  summary: string,
  description: string,
  change: (accounts: Accounts, username: string) => Promise<User>,
  report: (user: User) => string,
): Subcommand {
  return {
    name,
    summary,
    help: `Usage: sluice users ${name} NAME [options]

${description}

Options:
${STORE_HELP}

${DATABASE_HELP}
`,
    async run(args, io) {
      const { values, positionals } = parseStoreArgs(args);
      const username = onePositional(positionals, 'NAME');
      return withStore(values, io, async ({ accounts }) => {
        io.stdout.write(`${report(await change(accounts, username))}\n`);
        return EXIT.ok;
      });
    },
  };
}

const disable = userChange(
  'disable',
  "refuse a user's keys until enabled again",
  'Disables a user: every key of theirs is refused (403) at once, on every instance. Their keys\nand usage are kept; "sluice users enable NAME" undoes it.',
  (accounts, username) => accounts.setDisabled(username, true),
  (user) =>
    `Disabled "${user.username}": their keys are refused until "sluice users enable ${user.username}".`,
);

const enable = userChange(
  'enable',
  'accept a disabled user’s keys again',
  'Enables a disabled user: their keys (those not revoked or expired) work again.',
  (accounts, username) => accounts.setDisabled(username, false),
  (user) => `Enabled "${user.username}".`,
);

const passwd: Subcommand = {
  name: 'passwd',
  summary: "set a user's password",
  help: `Usage: sluice users passwd NAME --password-stdin [options]

Sets a user's password. Their keys are not affected.

Options:
${PASSWORD_HELP}
${STORE_HELP}

${DATABASE_HELP}
`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { 'password-stdin': { type: 'boolean' }, ...STORE_OPTIONS },
      allowPositionals: true,
      strict: true,
    });
    const username = onePositional(positionals, 'NAME');
    const password = await passwordFromStdin(io, values['password-stdin']);
    return withStore(values, io, async ({ accounts }) => {
      const user = await accounts.setPassword(username, password);
      io.stdout.write(`Changed the password of "${user.username}".\n`);
      return EXIT.ok;
    });
  },
};

const role: Subcommand = {
  name: 'role',
  summary: 'make a user an admin, or not',
  help: `Usage: sluice users role NAME admin|user [options]

Sets a user's role. Admins may use the admin API (/api/admin/) with their keys.

Options:
${STORE_HELP}

${DATABASE_HELP}
`,
  async run(args, io) {
    const { values, positionals } = parseStoreArgs(args);
    const [username, newRole, ...extra] = positionals;
    if (username === undefined || (newRole !== 'admin' && newRole !== 'user') || extra.length > 0) {
      throw new UsageError('takes NAME and then admin or user');
    }
    return withStore(values, io, async ({ accounts }) => {
      const user = await accounts.setRole(username, newRole);
      io.stdout.write(
        `"${user.username}" is now ${user.role === 'admin' ? 'an admin' : 'a user'}.\n`,
      );
      return EXIT.ok;
    });
  },
};

const limits: Subcommand = {
  name: 'limits',
  summary: "show or set a user's limits",
  help: `Usage: sluice users limits NAME [limit options] [options]

Without limit options, shows the user's limits. With them, changes just those limits; the
others stay as they are. A user's limits apply to all their keys together, on top of each
key's own limits.

Options:
${STORE_HELP}

Limits:
${LIMIT_HELP}

${DATABASE_HELP}
`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...LIMIT_OPTIONS, ...STORE_OPTIONS },
      allowPositionals: true,
      strict: true,
    });
    const username = onePositional(positionals, 'NAME');
    return withStore(values, io, async ({ accounts }) => {
      let user = await accounts.user(username);
      const changed = limitsFromFlags(values, user.limits);
      if (changed !== undefined) user = await accounts.setLimits(username, changed);
      io.stdout.write(`Limits of "${user.username}": ${describeLimits(user.limits)}\n`);
      return EXIT.ok;
    });
  },
};

const subcommands = [add, list, disable, enable, passwd, role, limits];

export const users: CommandGroup = {
  name: 'users',
  subcommands,
  help: `Usage: sluice users <subcommand> [options]

Manages the users whose keys may use Sluice, in the database Sluice serves from.

Subcommands:
${commandList(subcommands)}

Run "sluice users <subcommand> --help" for its options.
`,
};
