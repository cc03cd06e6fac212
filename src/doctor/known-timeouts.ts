/**
 * Hop timeouts that cut streams, from the research notes' "Cut after N seconds" table
 * (streaming-pitfalls.md §1.1). Vendors change these; the notes say to re-check before trusting them.
 */
import type { HopId } from './fingerprints.ts';

export type CutKind = 'idle' | 'total';

export interface KnownTimeout {
  readonly seconds: number;
  readonly kind: CutKind;
  readonly hops: readonly HopId[];
  readonly what: string;
}

export const KNOWN_TIMEOUTS: readonly KnownTimeout[] = [
  {
    seconds: 25,
    kind: 'total',
    hops: ['vercel'],
    what: 'Vercel Edge runtime must start the response within 25 s',
  },
  {
    seconds: 29,
    kind: 'total',
    hops: ['aws-api-gateway'],
    what: 'API Gateway REST (BUFFERED mode) integration timeout',
  },
  {
    seconds: 30,
    kind: 'total',
    hops: ['google'],
    what: 'Google Cloud HTTP(S) load balancer backend timeoutSec default',
  },
  {
    seconds: 30,
    kind: 'idle',
    hops: ['cloudfront', 'aws-api-gateway'],
    what: 'CloudFront origin response timeout; API Gateway STREAM edge-optimised idle',
  },
  {
    seconds: 30,
    kind: 'idle',
    hops: ['h2o'],
    what: 'H2O proxy.timeout.io default (30000 ms)',
  },
  {
    seconds: 50,
    kind: 'idle',
    hops: ['haproxy'],
    what: 'HAProxy stock `timeout client/server 50000`',
  },
  {
    seconds: 60,
    kind: 'idle',
    hops: ['nginx', 'openresty', 'aws-alb', 'apache'],
    what: 'nginx/ingress-nginx proxy_read_timeout, AWS ALB idle timeout, Apache ProxyTimeout',
  },
  {
    seconds: 60,
    kind: 'total',
    hops: [],
    what: 'Traefik entryPoint readTimeout (v2.11.2+/v3.0.1+)',
  },
  {
    seconds: 100,
    kind: 'idle',
    hops: ['cloudflare'],
    what: 'Cloudflare proxy read timeout (524), historical 100 s',
  },
  {
    seconds: 120,
    kind: 'idle',
    hops: ['cloudflare'],
    what: 'Cloudflare proxy read timeout (524), current 120 s',
  },
  {
    seconds: 300,
    kind: 'idle',
    hops: ['aws-api-gateway'],
    what: 'undici bodyTimeout (a Node fetch hop); API Gateway STREAM regional idle',
  },
  { seconds: 300, kind: 'total', hops: ['google'], what: 'Cloud Run default request timeout' },
  {
    seconds: 360,
    kind: 'idle',
    hops: ['lighttpd'],
    what: 'lighttpd server.max-write-idle default',
  },
  {
    seconds: 900,
    kind: 'idle',
    hops: ['squid'],
    what: 'Squid read_timeout default (15 minutes)',
  },
  {
    seconds: 900,
    kind: 'total',
    hops: ['aws-api-gateway'],
    what: 'API Gateway STREAM maximum duration',
  },
  { seconds: 3600, kind: 'total', hops: ['google'], what: 'Cloud Run maximum request timeout' },
];

/**
 * Known timeouts of this kind within reach of the measured cut, nearest first: ±max(1.5 s, 5 %),
 * since the cut is measured at the client and includes a round trip and the hop's timer granularity.
 */
export function matchTimeouts(measuredMs: number, kind: CutKind): KnownTimeout[] {
  const distance = (known: KnownTimeout): number => Math.abs(measuredMs - known.seconds * 1000);
  return KNOWN_TIMEOUTS.filter(
    (known) => known.kind === kind && distance(known) <= Math.max(1500, known.seconds * 50),
  ).sort((a, b) => distance(a) - distance(b));
}
