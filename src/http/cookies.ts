/** Cookies, read and written per RFC 6265. */
import type { IncomingMessage } from 'node:http';

/**
 * The value of cookie `name`, or undefined. A value that is not valid percent-encoding was not
 * set by Sluice (its values are base64url): it is treated as absent, never as an error.
 */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface CookieOptions {
  readonly maxAgeSeconds?: number;
  readonly httpOnly: boolean;
  readonly sameSite: 'Strict' | 'Lax';
  /** Sent only over HTTPS; set when the request came over HTTPS (directly or via a trusted proxy). */
  readonly secure: boolean;
}

export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', `SameSite=${options.sameSite}`];
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  if (options.httpOnly) parts.push('HttpOnly');
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Appends a Set-Cookie header, keeping any already set. */
export function addCookie(
  res: { getHeader(name: string): unknown; setHeader(name: string, value: string[]): unknown },
  cookie: string,
): void {
  const existing = res.getHeader('set-cookie');
  const list = Array.isArray(existing)
    ? (existing as string[])
    : typeof existing === 'string'
      ? [existing]
      : [];
  res.setHeader('set-cookie', [...list, cookie]);
}
