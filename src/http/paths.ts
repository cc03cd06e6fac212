/**
 * Paths that mean one thing to every parser. Sluice forwards `/v1` paths to providers and
 * meters them by name, so a path that another hop could read differently is refused before
 * anything is matched or forwarded: malformed percent-encoding, an encoded `/` or `\` (which
 * some servers decode into a separator), dot segments (`.`, `..`, also encoded), which
 * RFC 3986 §5.2.4 removes and Sluice would not, and empty segments, which some servers merge.
 */
import { InvalidPathError } from '../errors/index.ts';

/** Throws `InvalidPathError` unless every segment of `pathname` is plain. */
export function checkPath(pathname: string): void {
  if (pathname.includes('\\')) throw new InvalidPathError(pathname, 'it contains "\\"');
  const segments = pathname.split('/').slice(1);
  for (const segment of segments) {
    const decoded = decodeOrThrow(pathname, segment);
    if (decoded.includes('/') || decoded.includes('\\'))
      throw new InvalidPathError(pathname, 'it has an encoded "/" or "\\"');
    if (decoded === '.' || decoded === '..')
      throw new InvalidPathError(pathname, 'it has a dot segment');
    if (segment === '')
      throw new InvalidPathError(pathname, 'it has an empty segment ("//" or a trailing "/")');
  }
}

/**
 * The request target as it came, before any URL parser resolved it: a dot segment (`/a/../b`,
 * also `%2e%2e`) or a `\` (which WHATWG URLs read as `/`) would make Sluice route one path
 * and log, meter or forward another. Browsers resolve them before sending, so no client of
 * Sluice's needs them.
 */
export function checkRequestTarget(target: string): void {
  const path =
    (target.startsWith('/') ? target : target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '')).split(
      '?',
    )[0] ?? '';
  if (path.includes('\\')) throw new InvalidPathError(path, 'it contains "\\"');
  for (const segment of path.split('/')) {
    if (/^(?:\.|%2e){1,2}$/i.test(segment))
      throw new InvalidPathError(path, 'it has a dot segment');
  }
}

/**
 * The request target as a URL. An origin-form target is a path whatever follows its first `/`:
 * `//evil:99999/` is a path with an empty first segment, never an authority (WHATWG URLs read
 * it as one, so `//x/metrics` was the route `/metrics` past a proxy's rule for `/metrics`, and
 * an unparseable "host" an exception). A target that is no URL at all (`http://[bad/`) is a
 * 400 `invalid_path`.
 */
export function requestUrl(target: string): URL {
  try {
    return target.startsWith('/') ? new URL(`${BASE}${target}`) : new URL(target, BASE);
  } catch {
    throw new InvalidPathError(target.slice(0, 256), 'it is not a valid request target');
  }
}

const BASE = 'http://sluice.invalid';

/** One path segment decoded; malformed percent-encoding is a 400, not a crash. */
export function decodeSegment(segment: string): string {
  return decodeOrThrow(segment, segment);
}

function decodeOrThrow(pathname: string, segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidPathError(pathname, 'it is not valid percent-encoding');
  }
}
