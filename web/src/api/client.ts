/**
 * The page's one way to call `/api`: JSON in and out, the session cookie sent by the browser,
 * and the CSRF token echoed in `X-CSRF-Token` on every state-changing request (the server
 * refuses those without it). Errors come back as `ApiError` carrying the server's `code`.
 */
import type { SessionInfo, SignedIn } from './types.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The field or parameter the server refused (`limits.rpm`), when it names one. */
  readonly param: string | null;

  constructor(status: number, code: string, message: string, param: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

const SAFE = new Set(['GET', 'HEAD']);

export class ApiClient {
  #csrf = '';
  /** Called when the server no longer knows the session (expired, revoked, signed out elsewhere). */
  onSignedOut: () => void = () => undefined;

  /** Refreshes the token from the session (it changes with sign-in and sign-out). */
  async session(): Promise<SessionInfo> {
    const info = await this.json<SessionInfo>('GET', '/api/session');
    this.#csrf = info.csrf_token;
    return info;
  }

  async signIn(kind: 'login' | 'setup', username: string, password: string): Promise<SignedIn> {
    const signed = await this.json<SignedIn>('POST', `/api/${kind}`, { username, password });
    this.#csrf = signed.csrf_token;
    return signed;
  }

  async signOut(): Promise<void> {
    await this.json('POST', '/api/logout');
    this.#csrf = '';
  }

  /** A JSON request; `undefined` for 204. */
  async json<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status === 401 && path !== '/api/login') this.onSignedOut();
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** A raw request with the CSRF header, for streams. */
  fetch(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    const method = init.method ?? 'GET';
    if (!SAFE.has(method) && this.#csrf !== '') headers.set('x-csrf-token', this.#csrf);
    return fetch(path, { ...init, headers, credentials: 'same-origin' });
  }
}

/** The server's `{"error": {message, code, param}}`, or a plain description when it is not that. */
export async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as {
      error?: { message?: unknown; code?: unknown; param?: unknown };
    };
    if (typeof error?.message === 'string') {
      const code = typeof error.code === 'string' ? error.code : String(response.status);
      const param = typeof error.param === 'string' ? error.param : null;
      return new ApiError(response.status, code, error.message, param);
    }
  } catch {
    // Not JSON: a proxy's error page, say.
  }
  return new ApiError(
    response.status,
    String(response.status),
    `HTTP ${response.status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`,
  );
}
