/**
 * Naming the hops from response headers (research notes §1.1, "Header fingerprints"). Heuristics:
 * many hops only announce themselves on error pages, and a hop may rewrite another's headers. Each
 * finding says which header it read, so the report can show its evidence.
 */

export type HopId =
  | 'nginx'
  | 'openresty'
  | 'apache'
  | 'caddy'
  | 'haproxy'
  | 'lighttpd'
  | 'h2o'
  | 'iis'
  | 'envoy'
  | 'aws-alb'
  | 'aws-api-gateway'
  | 'cloudfront'
  | 'cloudflare'
  | 'google'
  | 'vercel'
  | 'netlify'
  | 'fly'
  | 'varnish'
  | 'squid'
  | 'express'
  | 'nextjs'
  /** The HTTP_PROXY the doctor went through, when it names itself nowhere (mitmproxy, …). */
  | 'forward-proxy'
  /** The way from Sluice to its provider, when a hold was there already (`upstream-leg.ts`). */
  | 'upstream-leg'
  /** The forward proxy Sluice goes out through to that upstream. */
  | 'egress-proxy';

export const HOP_NAMES: Readonly<Record<HopId, string>> = {
  nginx: 'nginx',
  openresty: 'OpenResty',
  apache: 'Apache httpd',
  caddy: 'Caddy',
  haproxy: 'HAProxy',
  lighttpd: 'lighttpd',
  h2o: 'H2O',
  iis: 'IIS / ASP.NET',
  envoy: 'Envoy',
  'aws-alb': 'AWS Application Load Balancer',
  'aws-api-gateway': 'AWS API Gateway / Lambda',
  cloudfront: 'Amazon CloudFront',
  cloudflare: 'Cloudflare',
  google: 'Google Cloud load balancer / Cloud Run',
  vercel: 'Vercel',
  netlify: 'Netlify',
  fly: 'Fly.io proxy',
  varnish: 'Varnish',
  squid: 'Squid',
  express: 'Express',
  nextjs: 'Next.js',
  'forward-proxy': 'the forward proxy',
  'upstream-leg': 'between Sluice and its provider',
  'egress-proxy': "Sluice's egress proxy",
};

export type SignalId =
  /** A header that names a hop. */
  | 'hop'
  /** Sluice sent `X-Accel-Buffering: no` and it is gone: an nginx-like hop consumed it. */
  | 'accel-consumed'
  /** Sluice's `X-Accel-Buffering` arrived: no default-configured nginx in between. */
  | 'accel-passed'
  | 'content-length'
  | 'content-encoding'
  | 'cache-hit'
  | 'age'
  | 'alt-svc-h3'
  | 'tls-inspection';

export interface Fingerprint {
  readonly signal: SignalId;
  /** The header read, as it appeared (lower case), or `tls` for the certificate. */
  readonly header: string;
  readonly value: string;
  readonly hop?: HopId;
  /** One line for the report. */
  readonly meaning: string;
}

export interface FingerprintContext {
  /** The origin is Sluice's probe, which always sends `X-Accel-Buffering: no`. */
  readonly sentAccelBuffering: boolean;
  readonly isEventStream: boolean;
  readonly tlsIssuer?: string;
}

/** `Server` prefixes (lower case) and the hop each names. */
const SERVER_PREFIXES: readonly (readonly [string, HopId])[] = [
  ['openresty', 'openresty'],
  ['nginx', 'nginx'],
  ['apache', 'apache'],
  ['caddy', 'caddy'],
  ['microsoft-iis', 'iis'],
  ['kestrel', 'iis'],
  ['envoy', 'envoy'],
  ['istio-envoy', 'envoy'],
  ['awselb', 'aws-alb'],
  ['cloudflare', 'cloudflare'],
  ['google frontend', 'google'],
  ['gfe', 'google'],
  ['vercel', 'vercel'],
  ['netlify', 'netlify'],
  ['fly/', 'fly'],
  ['varnish', 'varnish'],
  ['squid', 'squid'],
  ['haproxy', 'haproxy'],
  ['lighttpd', 'lighttpd'],
  ['h2o', 'h2o'],
  ['amazons3', 'cloudfront'],
  ['cloudfront', 'cloudfront'],
];

/** Presence of these headers names a hop. */
const MARKER_HEADERS: readonly (readonly [string, HopId, string])[] = [
  ['cf-ray', 'cloudflare', 'Cloudflare proxied this response'],
  ['x-amz-cf-id', 'cloudfront', 'CloudFront served this response'],
  ['x-amzn-requestid', 'aws-api-gateway', 'AWS API Gateway or Lambda answered'],
  ['apigw-requestid', 'aws-api-gateway', 'AWS API Gateway (HTTP API) answered'],
  ['x-vercel-id', 'vercel', 'Vercel served this response'],
  ['x-nf-request-id', 'netlify', 'Netlify served this response'],
  ['fly-request-id', 'fly', 'the Fly.io proxy relayed this response'],
  ['x-varnish', 'varnish', 'Varnish relayed this response'],
  ['x-envoy-upstream-service-time', 'envoy', 'Envoy (or an Istio sidecar) relayed this response'],
  ['x-squid-error', 'squid', 'Squid answered with its own error page'],
  ['x-cache-lookup', 'squid', 'Squid looked this response up in its cache'],
];

export function readFingerprints(
  headers: Readonly<Record<string, string>>,
  context: FingerprintContext,
): Fingerprint[] {
  const found: Fingerprint[] = [];
  const add = (f: Fingerprint): void => {
    found.push(f);
  };

  const server = headers['server'];
  if (server !== undefined) {
    const hop = SERVER_PREFIXES.find(([prefix]) => server.toLowerCase().startsWith(prefix))?.[1];
    if (hop !== undefined)
      add({
        signal: 'hop',
        header: 'server',
        value: server,
        hop,
        meaning: `Server names ${HOP_NAMES[hop]}`,
      });
  }
  const via = headers['via'];
  if (via !== undefined) {
    for (const [pattern, hop] of VIA_PATTERNS) {
      if (pattern.test(via)) {
        add({
          signal: 'hop',
          header: 'via',
          value: via,
          hop,
          meaning: `Via names ${HOP_NAMES[hop]}`,
        });
      }
    }
  }
  const poweredBy = headers['x-powered-by'];
  if (poweredBy !== undefined) {
    const hop = poweredByHop(poweredBy);
    if (hop !== undefined) {
      add({
        signal: 'hop',
        header: 'x-powered-by',
        value: poweredBy,
        hop,
        meaning: `X-Powered-By names ${HOP_NAMES[hop]}`,
      });
    }
  }
  for (const [name, hop, meaning] of MARKER_HEADERS) {
    const value = headers[name];
    if (value !== undefined) add({ signal: 'hop', header: name, value, hop, meaning });
  }
  const xCache = headers['x-cache'];
  if (xCache !== undefined && SQUID_X_CACHE.test(xCache)) {
    add({
      signal: 'hop',
      header: 'x-cache',
      value: xCache,
      hop: 'squid',
      meaning: 'X-Cache in Squid\'s form ("MISS from <host>")',
    });
  }

  if (context.sentAccelBuffering && context.isEventStream) {
    const accel = headers['x-accel-buffering'];
    if (accel === undefined) {
      add({
        signal: 'accel-consumed',
        header: 'x-accel-buffering',
        value: '(missing)',
        hop: 'nginx',
        meaning:
          'Sluice sent X-Accel-Buffering: no and it is gone: an nginx-like hop consumed it ' +
          '(nginx hides X-Accel-* from clients)',
      });
    } else {
      add({
        signal: 'accel-passed',
        header: 'x-accel-buffering',
        value: accel,
        meaning: "Sluice's X-Accel-Buffering arrived: no default-configured nginx in between",
      });
    }
  }
  if (context.isEventStream) {
    const length = headers['content-length'];
    if (length !== undefined) {
      add({
        signal: 'content-length',
        header: 'content-length',
        value: length,
        meaning: 'Content-Length on an event stream: something held the whole body to count it',
      });
    }
    const encoding = headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      add({
        signal: 'content-encoding',
        header: 'content-encoding',
        value: encoding,
        meaning: 'a hop compresses the event stream (Sluice never does)',
      });
    }
  }
  for (const f of cacheSignals(headers)) add(f);
  const altSvc = headers['alt-svc'];
  if (altSvc !== undefined && /\bh3/.test(altSvc)) {
    add({
      signal: 'alt-svc-h3',
      header: 'alt-svc',
      value: altSvc,
      meaning:
        'browsers may switch to HTTP/3 on later requests: behaviour can differ from this run',
    });
  }
  if (context.tlsIssuer !== undefined && INSPECTING_ISSUERS.test(context.tlsIssuer)) {
    add({
      signal: 'tls-inspection',
      header: 'tls',
      value: context.tlsIssuer,
      meaning: 'the TLS certificate comes from an inspecting proxy or antivirus, not the site',
    });
  }
  return found;
}

/** The hops fingerprints name, each once, in the order found. */
export function hopsOf(fingerprints: readonly Fingerprint[]): HopId[] {
  const hops: HopId[] = [];
  for (const f of fingerprints) if (f.hop !== undefined && !hops.includes(f.hop)) hops.push(f.hop);
  return hops;
}

/** A `Via` entry's product (in its comment, or as the pseudonym) → the hop it names. */
export const VIA_PATTERNS: readonly (readonly [RegExp, HopId])[] = [
  [/varnish/i, 'varnish'],
  [/squid/i, 'squid'],
  [/cloudfront/i, 'cloudfront'],
  [/\bgoogle\b/i, 'google'],
  [/caddy/i, 'caddy'],
  [/haproxy/i, 'haproxy'],
  [/nginx/i, 'nginx'],
  [/apache/i, 'apache'],
];

/**
 * Squid's `X-Cache: MISS from proxy1` (`HIT`, `REFRESH_…`, `TCP_…`). CloudFront says "Miss from
 * cloudfront" in the same form, and Varnish-based CDNs "HIT, MISS": neither matches.
 */
const SQUID_X_CACHE = /^\s*(?:hit|miss|refresh\w*|tcp_\w+|none)\s+from\s+(?!cloudfront\b)\S+/i;

function poweredByHop(value: string): HopId | undefined {
  if (/asp\.net/i.test(value)) return 'iis';
  if (/next\.js/i.test(value)) return 'nextjs';
  if (/express/i.test(value)) return 'express';
  return undefined;
}

const INSPECTING_ISSUERS =
  /sophos|zscaler|kaspersky|eset|avast|avg|bitdefender|fortinet|fortigate|palo alto|netskope|blue ?coat|mitmproxy|charles|fiddler/i;

/** `X-Cache: HIT`, `cf-cache-status: HIT`, Varnish's two-id `X-Varnish`, a nonzero `Age`. */
function cacheSignals(headers: Readonly<Record<string, string>>): Fingerprint[] {
  const out: Fingerprint[] = [];
  for (const name of ['x-cache', 'cf-cache-status', 'x-cache-status', 'x-proxy-cache']) {
    const value = headers[name];
    if (value !== undefined && /\bhit\b/i.test(value)) {
      out.push({
        signal: 'cache-hit',
        header: name,
        value,
        meaning: 'a cache served this response',
      });
    }
  }
  const varnish = headers['x-varnish'];
  if (varnish !== undefined && /^\s*\d+\s+\d+\s*$/.test(varnish)) {
    out.push({
      signal: 'cache-hit',
      header: 'x-varnish',
      value: varnish,
      hop: 'varnish',
      meaning: 'two transaction ids: Varnish served this from its cache',
    });
  }
  const age = headers['age'];
  if (age !== undefined && Number(age) > 0) {
    out.push({
      signal: 'age',
      header: 'age',
      value: age,
      meaning: 'Age > 0: a cache kept this response (or held it that long)',
    });
  }
  return out;
}
