/** What a sign-in attempt counts against: the name it tried and the network it came from. */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * A fixed-size key for a tried name. Names match case-insensitively, as the store finds users;
 * hashed, a flood of megabyte-long names costs no more memory (or Redis) than short ones.
 */
export function nameKey(username: string): string {
  return createHash('sha256').update(username.toLowerCase()).digest('base64url');
}

/**
 * The address an attempt counts against. IPv4 addresses count one by one; IPv6 ones per /64,
 * the smallest block a subscriber is given (RFC 6177), else every client would have 2^64
 * addresses to spread its guesses over.
 */
export function addressSubject(ip: string): string {
  const address = ip.replace(/%.*$/, ''); // a zone id (`fe80::1%eth0`) names a link, not a host
  if (isIP(address) !== 6) return address;
  const mapped = /^::ffff:(.+)$/i.exec(address)?.[1];
  if (mapped !== undefined && isIP(mapped) === 4) return mapped;
  return `${groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, in lower-case hex without leading zeros. */
function groups(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const split = (part: string) => (part === '' ? [] : part.split(':'));
  // A trailing dotted quad (`::1.2.3.4`) holds the last two groups.
  const width = (parts: string[]) => parts.reduce((n, p) => n + (p.includes('.') ? 2 : 1), 0);
  const left = split(head);
  const right = tail === undefined ? [] : split(tail);
  const zeros = Array.from({ length: 8 - width(left) - width(right) }, () => '0');
  return [...left, ...zeros, ...right].map((g) =>
    g.includes('.') ? g : Number.parseInt(g, 16).toString(16),
  );
}
