/** Positional arguments, beyond what `node:util` parseArgs checks itself. */
import { UsageError } from './command.ts';

/** The one positional argument a command takes, e.g. the NAME of `sluice users disable NAME`. */
export function onePositional(positionals: readonly string[], what: string): string {
  const [first, ...extra] = positionals;
  if (first === undefined || first === '') throw new UsageError(`${what} is missing`);
  if (extra.length > 0) {
    throw new UsageError(`takes one ${what}; unexpected ${extra.map((a) => `"${a}"`).join(' ')}`);
  }
  return first;
}
