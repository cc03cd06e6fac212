/** A fetch that keeps cookies and the CSRF token, as the web page does. */
import { CSRF_HEADER } from '../../src/accounts/index.ts';

export interface BrowserClient {
  /** JSON in, JSON out; sends the CSRF token on state-changing requests unless `csrf: false`. */
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { csrf?: boolean; headers?: Record<string, string> },
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  /** A raw request with the cookies and token, for streams. */
  fetch(path: string, init: RequestInit & { csrf?: boolean }): Promise<Response>;
  readonly cookies: Map<string, string>;
  csrf: string;
}

export function browserClient(base: string): BrowserClient {
  const cookies = new Map<string, string>();
  const client: BrowserClient = {
    cookies,
    csrf: '',
    async fetch(path, init) {
      const headers = new Headers(init.headers);
      if (cookies.size > 0)
        headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
      if (init.csrf !== false && client.csrf !== '') headers.set(CSRF_HEADER, client.csrf);
      const response = await fetch(`${base}${path}`, { ...init, headers });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        const value = pair.slice(eq + 1);
        if (/Max-Age=0/i.test(line)) cookies.delete(pair.slice(0, eq));
        else cookies.set(pair.slice(0, eq), value);
      }
      return response;
    },
    async call(method, path, body, options = {}) {
      const response = await client.fetch(path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(options.csrf === false ? { csrf: false } : {}),
      });
      const text = await response.text();
      const parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      if (typeof parsed.csrf_token === 'string') client.csrf = parsed.csrf_token;
      return { status: response.status, body: parsed, headers: response.headers };
    },
  };
  return client;
}
