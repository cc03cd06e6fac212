/**
 * The client's address for records and logs. `X-Forwarded-For` is believed only as far as it
 * was written by proxies the operator trusts (SLUICE_TRUSTED_PROXIES): walking from the nearest
 * hop, the first address that is not a trusted proxy is the client. Anyone can send the header.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

export type ClientIpResolver = (req: IncomingMessage) => string | null;

/** `proxies`: addresses or CIDR ranges, e.g. `127.0.0.1, 10.0.0.0/8, ::1`. */
export function clientIpResolver(proxies: readonly string[]): ClientIpResolver {
  const trusted = new BlockList();
  for (const entry of proxies) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(bits), family);
  }
  const isTrusted = (address: string) => {
    const plain = unmapped(address);
    return isIP(plain) !== 0 && trusted.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
  };
  return (req) => {
    const peer = req.socket.remoteAddress;
    if (peer === undefined) return null;
    if (proxies.length === 0 || !isTrusted(peer)) return unmapped(peer);
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] ?? '';
      if (!isTrusted(hop)) return unmapped(hop);
    }
    return unmapped(hops[0] ?? peer);
  };
}

/** `::ffff:203.0.113.9` is the IPv4 address it carries. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
