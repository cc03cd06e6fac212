import { parseArgs } from 'node:util';
import { connectStore } from '../store/open.ts';
import { type Command, EXIT } from './command.ts';
import { DATABASE_HELP, STORE_HELP, STORE_OPTIONS, withStore } from './store-context.ts';

export const migrate: Command = {
  name: 'migrate',
  help: `Usage: sluice migrate [options]

Applies the database migrations not yet applied, prints each one, then the schema version.
Safe to run while Sluice is running, and from several machines at once: one applies, the
others wait and find nothing left to do. "sluice serve" does the same at start-up.

Options:
${STORE_HELP}

${DATABASE_HELP}

Exit status: 0 done, 1 the database could not be reached or written, 2 bad usage or config.
`,
  async run(args, io) {
    const { values } = parseArgs({ args: [...args], options: STORE_OPTIONS, strict: true });
    return withStore(
      values,
      io,
      async ({ store, database }) => {
        const report = await store.migrate();
        for (const { version, name } of report.applied) {
          io.stdout.write(`applied ${version}: ${name}\n`);
        }
        const none = report.applied.length === 0 ? 'nothing to apply; ' : '';
        io.stdout.write(`${none}${database} is at schema version ${report.current}\n`);
        return EXIT.ok;
      },
      // Connect without migrating: this command migrates, and reports what it applied.
      (options) => Promise.resolve(connectStore(options)),
    );
  },
};
