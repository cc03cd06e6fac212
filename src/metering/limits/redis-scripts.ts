/**
 * The Lua scripts behind `RedisCounters`, read once from `lua/` and sent by SHA1 (EVALSHA),
 * with the source only when the server does not have it cached yet (after a restart or
 * SCRIPT FLUSH). See each `.lua` file for what it does and its KEYS/ARGV layout.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
}

/** Sends one command, e.g. the client library's `sendCommand`. */
export type SendCommand = (args: string[]) => Promise<unknown>;

function load(name: string, prelude: readonly string[] = []): Script {
  const read = (file: string): string =>
    readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
  const source = [...prelude.map(read), read(name)].join('\n');
  return { name, source, sha1: createHash('sha1').update(source).digest('hex') };
}

export const ADMIT_SCRIPT = load('admit.lua', ['cell-rate.lua', 'held.lua']);
export const END_SCRIPT = load('end.lua', ['cell-rate.lua', 'held.lua']);
export const RENEW_SCRIPT = load('renew.lua');

export async function runScript(
  send: SendCommand,
  script: Script,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  const rest = [String(keys.length), ...keys, ...args];
  try {
    return await send(['EVALSHA', script.sha1, ...rest]);
  } catch (err) {
    if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
    // EVAL also caches the script, so the next EVALSHA finds it.
    return await send(['EVAL', script.source, ...rest]);
  }
}
