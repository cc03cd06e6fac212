/**
 * The admin API's routes: a path pattern (`users/:username`) with one handler per method.
 * Matching is a pure function of the path, so it is tested without sockets.
 */
import { BadRequestError, NotFoundError, SluiceError } from '../errors/index.ts';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface AdminRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON object body, read only by handlers that take one. */
  body(): Promise<Record<string, unknown>>;
}

export interface AdminReply {
  readonly status: number;
  readonly body: unknown;
}

export type AdminHandler = (request: AdminRequest) => Promise<AdminReply>;

export interface AdminRoute {
  /** Below `/api/admin/`, e.g. `keys/:id`. */
  readonly path: string;
  readonly methods: Readonly<Partial<Record<Method, AdminHandler>>>;
}

export const ADMIN_PREFIX = '/api/admin';

/** The handler for a request, or the 404 / 405 (with `Allow`) / 400 that explains why not. */
export function findHandler(
  routes: readonly AdminRoute[],
  method: string,
  pathname: string,
): { handler: AdminHandler; params: Record<string, string> } {
  const rest = pathname.slice(ADMIN_PREFIX.length).replace(/^\/+|\/+$/g, '');
  for (const route of routes) {
    const params = matchPath(route.path, rest);
    if (params === undefined) continue;
    const handler = route.methods[method as Method];
    if (handler !== undefined) return { handler, params };
    const allow = Object.keys(route.methods).join(', ');
    throw new SluiceError(
      'invalid_request',
      405,
      'method_not_allowed',
      `Use ${allow} for ${pathname}.`,
      {
        headers: { allow },
      },
    );
  }
  throw new NotFoundError('unknown_url', `Unknown admin API URL: ${method} ${pathname}.`);
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

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    throw new BadRequestError(
      'invalid_url',
      `The URL segment "${segment}" is not valid percent-encoding.`,
      {
        cause: error,
      },
    );
  }
}
