/** A CLI command: its help text, and what it does with its arguments. Exit codes: 0 ok, 1 failure, 2 usage. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full `--help` text. */
  readonly help: string;
  run(args: readonly string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
