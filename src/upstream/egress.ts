/**
 * Which way an upstream request leaves the machine: direct, through an HTTP(S) forward proxy
 * (CONNECT for https targets), or through SOCKS5 — following the conventions of curl and most
 * tools: `https_proxy` for https targets, `http_proxy` for http, `all_proxy` for either when the
 * specific one is unset, and `no_proxy` to bypass.
 */
import { isIP } from 'node:net';
import type { EgressConfig } from '../config/index.ts';

export type Egress =
  | { readonly kind: 'direct' }
  | { readonly kind: 'http'; readonly proxy: string }
  | { readonly kind: 'socks5'; readonly proxy: string };

export function chooseEgress(target: URL, egress: EgressConfig): Egress {
  if (bypassesProxy(target, egress.noProxy)) return { kind: 'direct' };
  const proxy =
    (target.protocol === 'https:' ? egress.httpsProxy : egress.httpProxy) ?? egress.allProxy;
  if (proxy === undefined) return { kind: 'direct' };
  if (/^socks5?h?:/i.test(proxy))
    return { kind: 'socks5', proxy: proxy.replace(/^socks5?h?:/i, 'socks5:') };
  return { kind: 'http', proxy };
}

/**
 * `no_proxy` as curl reads it: comma- or space-separated entries; `*` matches everything; a
 * domain matches itself and its subdomains (a leading dot is optional); an IP or CIDR range
 * matches addresses; any entry may carry `:port`.
 */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const { name, entryPort } = splitPort(entry);
    if (entryPort !== undefined && entryPort !== port) continue;
    if (name.includes('/')) {
      if (isIP(host) !== 0 && inCidr(host, name)) return true;
      continue;
    }
    const domain = name.replace(/^\*?\./, '');
    if (host === domain || host.endsWith(`.${domain}`)) return true;
  }
  return false;
}

function splitPort(entry: string): { name: string; entryPort: string | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1] ?? '', entryPort: bracketed[2] };
  const colons = entry.split(':').length - 1;
  if (colons === 1) {
    const [name = '', entryPort] = entry.split(':');
    return { name, entryPort };
  }
  return { name: entry, entryPort: undefined }; // a bare IPv6 address or no port
}

function inCidr(address: string, cidr: string): boolean {
  const [base = '', bitsText = ''] = cidr.split('/');
  const a = toBytes(address);
  const b = toBytes(base);
  const bits = Number(bitsText);
  if (a === undefined || b === undefined || a.length !== b.length || !Number.isInteger(bits))
    return false;
  if (bits < 0 || bits > a.length * 8) return false;
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i % 8);
    if (((a[i >> 3] ?? 0) & mask) !== ((b[i >> 3] ?? 0) & mask)) return false;
  }
  return true;
}

function toBytes(ip: string): number[] | undefined {
  const family = isIP(ip);
  if (family === 4) return ip.split('.').map(Number);
  if (family !== 6) return undefined;
  const [head = '', tail] = ip.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const hextets = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return hextets.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** A proxy's or endpoint's address as a log or report may show it: no user or password in it. */
export function withoutCredentials(address: string): string {
  const url = new URL(address);
  if (url.username === '' && url.password === '') return address;
  url.username = '';
  url.password = '';
  return url.href;
}
