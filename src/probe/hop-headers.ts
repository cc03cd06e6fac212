/**
 * The request as it reached Sluice, for the probe to tell the doctor (issue 15): the HTTP
 * version and the headers hops add on the way in (`Via`, `X-Forwarded-*`, `Forwarded`,
 * `X-Real-IP`, CDN headers). The probe needs no key, so whatever it reflects, anyone can read:
 *
 * - only the hop headers named below, never credentials (Authorization, Cookie, keys) nor
 *   anything else a client sent;
 * - addresses reduced to their kind (`public`, `private`, …): a cache that ignored the probe's
 *   `no-cache` would otherwise hand one user's address to the next, and a hop's internal address
 *   is nobody's business;
 * - every value, the number of headers and the whole bounded (REFLECTION_LIMITS).
 *
 * Values are JSON-encoded into a `data:` line, so no header can break the event framing.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import {
  type AddressKind,
  DOCTOR_HEADER,
  DOCTOR_TOKEN,
  type ProbeRequestView,
  REFLECTION_LIMITS,
} from './request-view.ts';

/** Headers whose values are addresses (comma-separated lists). */
const ADDRESS_HEADERS = new Set([
  'x-forwarded-for',
  'x-real-ip',
  'cf-connecting-ip',
  'true-client-ip',
  'fastly-client-ip',
  'x-envoy-external-address',
  'x-client-ip',
  'x-cluster-client-ip',
  'cloudfront-viewer-address',
]);

/** Headers reflected as they are (bounded): protocol details and hops' own request ids. */
const PLAIN_HEADERS = new Set([
  'via',
  'forwarded',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-scheme',
  'x-scheme',
  'x-host',
  'x-request-id',
  'x-varnish',
  'surrogate-capability',
  'cf-ray',
  'cf-visitor',
  'cdn-loop',
  'x-amz-cf-id',
  'x-amzn-trace-id',
  'x-cloud-trace-context',
  'akamai-origin-hop',
  'connection',
]);

/** Open families: CDNs and meshes add several; a few of each are enough to name them. */
const FAMILIES = ['fastly-', 'x-envoy-'] as const;

/** What the probe reflects about `req` (its raw headers keep each name's spelling). */
export function requestView(
  req: Pick<IncomingMessage, 'httpVersion' | 'rawHeaders'>,
): ProbeRequestView {
  const headers: Record<string, string> = {};
  const spelling: Record<string, string> = {};
  const perFamily = new Map<string, number>();
  let omitted = 0;
  let doctor: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === DOCTOR_HEADER.toLowerCase()) {
      spelling[lower] ??= name;
      if (lower !== 'host' && DOCTOR_TOKEN.test(value)) doctor ??= value;
      continue;
    }
    const family = FAMILIES.find((prefix) => lower.startsWith(prefix));
    if (!ADDRESS_HEADERS.has(lower) && !PLAIN_HEADERS.has(lower) && family === undefined) continue;
    const known = headers[lower];
    if (known === undefined) {
      const full = Object.keys(headers).length >= REFLECTION_LIMITS.headers;
      const familyFull =
        family !== undefined && (perFamily.get(family) ?? 0) >= REFLECTION_LIMITS.perFamily;
      if (full || familyFull) {
        omitted++;
        continue;
      }
      if (family !== undefined) perFamily.set(family, (perFamily.get(family) ?? 0) + 1);
      spelling[lower] = name;
    }
    const shown = reflectValue(lower, value);
    headers[lower] = bounded(known === undefined ? shown : `${known}, ${shown}`);
  }
  return {
    http_version: req.httpVersion,
    headers,
    spelling,
    ...(doctor === undefined ? {} : { doctor }),
    ...(omitted === 0 ? {} : { omitted }),
  };
}

function reflectValue(name: string, value: string): string {
  if (ADDRESS_HEADERS.has(name)) return addressList(value);
  if (name === 'forwarded') return maskForwarded(value);
  if (name === 'via') return maskVia(value);
  return value;
}

function bounded(text: string): string {
  const max = REFLECTION_LIMITS.valueChars;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `203.0.113.7, 10.0.0.3` → `public, private`. */
function addressList(value: string): string {
  const entries = value.split(',').map((entry) => entry.trim());
  const shown = entries.slice(0, REFLECTION_LIMITS.addresses).map(addressKind);
  const more = entries.length - shown.length;
  return more > 0 ? `${shown.join(', ')}, … ${more} more` : shown.join(', ');
}

/** RFC 7239: `for=` and `by=` carry addresses (or obfuscated names); the rest stays. */
function maskForwarded(value: string): string {
  const elements = value.split(',').slice(0, REFLECTION_LIMITS.addresses);
  return elements
    .map((element) =>
      element
        .split(';')
        .map((pair) => {
          const [key = '', ...rest] = pair.split('=');
          const name = key.trim().toLowerCase();
          if (name !== 'for' && name !== 'by') return pair.trim();
          return `${name}=${addressKind(rest.join('='))}`;
        })
        .join(';'),
    )
    .join(', ');
}

/** RFC 9110 §7.6.3: `1.1 10.0.0.7:8080 (squid/5.7)`: an address as received-by becomes its kind. */
function maskVia(value: string): string {
  return value
    .split(',')
    .map((entry) => {
      const parts = entry.trim().split(/\s+/);
      const by = parts[1];
      if (by !== undefined && isIP(bareAddress(by)) !== 0) parts[1] = addressKind(by);
      return parts.join(' ');
    })
    .join(', ');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT (RFC 6598)
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

export function addressKind(token: string): AddressKind {
  const text = token.trim().replace(/^"|"$/g, '');
  if (text.startsWith('_')) return 'obfuscated'; // RFC 7239 §6.3
  const address = bareAddress(text);
  const family = isIP(address);
  if (family === 0) return 'unknown';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(address, type)) return 'loopback';
  if (PRIVATE.check(address, type)) return 'private';
  if (LINK_LOCAL.check(address, type)) return 'link-local';
  return 'public';
}

/** `[2001:db8::1]:443` → `2001:db8::1`; `192.0.2.1:80` → `192.0.2.1`; `::ffff:192.0.2.1` → `192.0.2.1`. */
function bareAddress(text: string): string {
  let address = text;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed?.[1] !== undefined) address = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  if (address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4)
    address = address.slice(7);
  return address;
}
