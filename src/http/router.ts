/**
 * The one router: path patterns (`users/:username`) with a handler per method, below a prefix.
 * A path that matches no pattern is a 404, a method the pattern does not take a 405 with
 * `Allow`. Matching is a pure function of the path, tested without sockets.
 */
import { MethodNotAllowedError, UnknownUrlError } from '../errors/index.ts';
import { decodeSegment } from './paths.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route<H> {
  /** Below the router's prefix, e.g. `keys/:id`. */
  readonly path: string;
  readonly methods: Readonly<Partial<Record<Method, H>>>;
}

export interface Match<H> {
  readonly handler: H;
  readonly params: Readonly<Record<string, string>>;
}

export class Router<H> {
  readonly #prefix: string;
  readonly #routes: readonly Route<H>[];
  /** How a 404 names what was asked for, e.g. `admin API URL`. */
  readonly #what: string;

  constructor(prefix: string, routes: readonly Route<H>[], what: string) {
    this.#prefix = prefix;
    this.#routes = routes;
    this.#what = what;
  }

  /** The handler for a request, or the 404 / 405 that explains why there is none. */
  find(method: string, pathname: string): Match<H> {
    const rest = pathname.slice(this.#prefix.length).replace(/^\/+|\/+$/g, '');
    for (const route of this.#routes) {
      const params = matchPath(route.path, rest);
      if (params === undefined) continue;
      const handler = route.methods[method as Method];
      if (handler !== undefined) return { handler, params };
      throw new MethodNotAllowedError(Object.keys(route.methods), pathname);
    }
    throw new UnknownUrlError(method, pathname, this.#what);
  }
}

/** `users/:username` against `users/ada` → `{ username: 'ada' }`; undefined when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path === '' ? [] : path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const actual = got[i] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = decodeSegment(actual);
    else if (part !== actual) return undefined;
  }
  return params;
}
