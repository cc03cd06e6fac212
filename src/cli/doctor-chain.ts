/**
 * `sluice doctor --chain URL1,URL2,…`: the points of one chain, outermost first — the public
 * URL, then the address behind the CDN, behind nginx, …, down to Sluice itself. The doctor
 * measures each in turn and names the first hop where the problem appears (src/doctor/chain.ts).
 */
import { UsageError } from './command.ts';

export const CHAIN_HELP = `  --chain URL1,URL2,…
                     measure each point of one chain, outermost first (the public URL, the
                     address behind the CDN, behind nginx, …, Sluice itself) and name the
                     first hop where the problem appears; a <url> given too is the outermost`;

/** Points a chain may have: each is one probe, run one after the other. */
export const MAX_CHAIN_POINTS = 8;

/** The chain's URLs: `outermost` (the positional URL, if any) first, then those listed. */
export function chainUrls(
  list: string,
  outermost: URL | undefined,
  parseUrl: (text: string, what: string) => URL,
): URL[] {
  const listed = list
    .split(',')
    .map((text) => text.trim())
    .filter((text) => text !== '')
    .map((text) => parseUrl(text, '--chain'));
  const urls = outermost === undefined ? listed : [outermost, ...listed];
  if (urls.length < 2) {
    throw new UsageError(
      '--chain needs at least two URLs, outermost first, e.g. --chain https://chat.example.com,http://10.0.0.5:8080',
    );
  }
  if (urls.length > MAX_CHAIN_POINTS) {
    throw new UsageError(`--chain takes at most ${MAX_CHAIN_POINTS} URLs; got ${urls.length}`);
  }
  return urls;
}
