/**
 * The web page: static files built by Vite into `web/dist`. Hashed assets are cached for a
 * year (their names change with their content); `index.html` is revalidated every time, so a
 * new build reaches browsers at once. Unknown paths get `index.html` (the page routes itself).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  // Everything the page needs is its own: no CDN, no inline script.
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  root = WEB_ROOT,
): Promise<void> {
  const relative = normalize(decodedOr(pathname, '/')).replace(/^([/\\])+/, '');
  let file = join(root, relative);
  if (!file.startsWith(root) || relative.split(sep).includes('..')) file = join(root, 'index.html');
  let info = await stat(file).catch(() => undefined);
  if (info === undefined || info.isDirectory()) {
    file = join(root, 'index.html');
    info = await stat(file).catch(() => undefined);
  }
  if (info === undefined) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('The web page is not built. Run `npm run build` (npm install does it), then reload.\n');
    return;
  }
  const immutable = file.includes(`${sep}assets${sep}`);
  const etag = `"${info.size.toString(16)}-${info.mtimeMs.toString(16)}"`;
  const headers = {
    ...SECURITY_HEADERS,
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': info.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}

/** A path that is not valid percent-encoding names no file: the page's own route, like any other. */
function decodedOr(pathname: string, fallback: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return fallback;
  }
}
