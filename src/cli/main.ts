/**
 * `sluice <command>`: dispatches to one file per command (`sluice users add` to a subcommand of
 * a group); `--help` everywhere. Failures become exit codes here, in one place: 1 for a refused
 * operation or an unreachable database, 2 for bad usage or configuration.
 */
import { SluiceError } from '../errors/index.ts';
import { ConfigError } from '../errors/index.ts';
import {
  type Command,
  CommandFailure,
  type CommandGroup,
  type CommandIO,
  commandList,
  EXIT,
  UsageError,
} from './command.ts';
/**
 * Every command, loaded only when it runs: `sluice keys list` reads no HTTP server, doctor or
 * nginx code (each file loaded costs its type stripping; all of them together, a second).
 */
const commands: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'run the gateway (what `npm start` does)',
    load: async () => (await import('./serve.ts')).serve,
  },
  {
    name: 'migrate',
    summary: 'create or upgrade the database schema',
    load: async () => (await import('./migrate.ts')).migrate,
  },
  {
    name: 'users',
    summary: 'add, list, disable users; set passwords, roles, limits',
    load: async () => (await import('./users.ts')).users,
  },
  {
    name: 'keys',
    summary: 'create, list and revoke API keys',
    load: async () => (await import('./keys.ts')).keys,
  },
  {
    name: 'usage',
    summary: 'requests, tokens and cost by user, key, model, day',
    load: async () => (await import('./usage.ts')).usage,
  },
  {
    name: 'doctor',
    summary: 'test whether a deployment streams, name the hop that does not, print the fix',
    load: async () => (await import('./doctor.ts')).doctor,
  },
  {
    name: 'nginx',
    summary: 'print an nginx config that streams, or lint one (--lint)',
    load: async () => (await import('./nginx.ts')).nginx,
  },
  {
    name: 'bench',
    summary: 'measure streaming overhead beside nginx (source checkout)',
    load: async () => (await import('./bench.ts')).bench,
  },
];

interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command | CommandGroup>;
}

function overview(): string {
  return `Usage: sluice <command> [options]

Sluice: an OpenAI-compatible LLM gateway whose streams stream.

Commands:
${commandList(commands)}

Run "sluice <command> --help" for a command's options.
`;
}

export async function main(argv: readonly string[], io: CommandIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || isHelp(name) || name === 'help') {
    io.stdout.write(overview());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const found = commands.find((c) => c.name === name);
  if (found === undefined) {
    io.stderr.write(`sluice: unknown command "${name}"\n\n${overview()}`);
    return EXIT.usage;
  }
  const entry = await found.load();
  let command: Command;
  let label = name;
  let args = rest;
  if ('subcommands' in entry) {
    const [sub, ...subArgs] = rest;
    if (sub === undefined || isHelp(sub)) {
      io.stdout.write(entry.help);
      return sub === undefined ? EXIT.usage : EXIT.ok;
    }
    const found = entry.subcommands.find((c) => c.name === sub);
    if (found === undefined) {
      io.stderr.write(`sluice ${name}: unknown subcommand "${sub}"\n\n${entry.help}`);
      return EXIT.usage;
    }
    command = found;
    label = `${name} ${sub}`;
    args = subArgs;
  } else {
    command = entry;
  }
  if (args.some(isHelp)) {
    io.stdout.write(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    return report(error, label, command, io);
  }
}

function report(error: unknown, label: string, command: Command, io: CommandIO): number {
  if (isUsageError(error)) {
    const synopsis = command.help.split('\n', 1)[0] ?? '';
    io.stderr.write(
      `sluice ${label}: ${error.message}\n${synopsis}\nRun "sluice ${label} --help" for usage.\n`,
    );
    return EXIT.usage;
  }
  if (error instanceof ConfigError) {
    io.stderr.write(`${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof SluiceError || error instanceof CommandFailure) {
    io.stderr.write(`sluice ${label}: ${error.message}\n`);
    return EXIT.failure;
  }
  throw error;
}

function isHelp(arg: string): boolean {
  return arg === '--help' || arg === '-h';
}

/** Ours, or `node:util` parseArgs rejecting an unknown or malformed option (`ERR_PARSE_ARGS_*`). */
function isUsageError(error: unknown): error is Error {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function defaultIO(): CommandIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: readStdin };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
