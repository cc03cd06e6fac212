/**
 * A CLI command: its help text, and what it does with its arguments. Exit codes: 0 ok,
 * 1 failure, 2 usage. A group (`sluice users …`) names subcommands instead of running itself.
 */
import { CommandFailure, UsageError } from '../errors/index.ts';
export interface Command {
  readonly name: string;
  /** Full `--help` text. */
  readonly help: string;
  run(args: readonly string[], io: CommandIO): Promise<number>;
}

/** A command of a group, listed with its one-line summary in the group's help. */
export interface Subcommand extends Command {
  readonly summary: string;
}

export interface CommandGroup {
  readonly name: string;
  /** Full `--help` text, listing the subcommands. */
  readonly help: string;
  readonly subcommands: readonly Subcommand[];
}

export interface CommandIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** All of standard input, for secrets that must not appear in argv (`--password-stdin`). */
  readonly stdin?: () => Promise<string>;
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export { CommandFailure, UsageError };

/** `Commands:` lines for a help text, names aligned. */
export function commandList(commands: readonly { name: string; summary: string }[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
}
