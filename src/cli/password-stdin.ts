/** Passwords come from standard input only: an argument would show in `ps` and shell history. */
import { type CommandIO, UsageError } from './command.ts';

export const PASSWORD_HELP = `  --password-stdin     read the password from standard input (required; one trailing
                       newline is dropped), e.g. printf '%s' "$PASSWORD" | sluice …`;

export async function passwordFromStdin(
  io: CommandIO,
  given: boolean | undefined,
): Promise<string> {
  if (given !== true) {
    throw new UsageError(
      'give the password on standard input with --password-stdin (never as an argument, where ps and shell history would show it)',
    );
  }
  if (io.stdin === undefined)
    throw new UsageError('there is no standard input to read the password from');
  return (await io.stdin()).replace(/\r?\n$/, '');
}
