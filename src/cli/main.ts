/** `sluice <command>`: dispatches to one file per command; `--help` everywhere. */
import { type Command, type CommandIO, EXIT } from './command.ts';
import { serve } from './serve.ts';

const commands: readonly Command[] = [serve];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: sluice <command> [options]

Sluice: an OpenAI-compatible LLM gateway whose streams stream.

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "sluice <command> --help" for a command's options.
`;
}

export async function main(argv: readonly string[], io: CommandIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.stdout.write(overview());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`sluice: unknown command "${name}"\n\n${overview()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (isUsageError(error)) {
      io.stderr.write(
        `sluice ${name}: ${(error as Error).message}\nRun "sluice ${name} --help" for usage.\n`,
      );
      return EXIT.usage;
    }
    throw error;
  }
}

/** `node:util` parseArgs rejects unknown or malformed options with these codes. */
function isUsageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function defaultIO(): CommandIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
