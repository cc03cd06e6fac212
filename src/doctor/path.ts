/**
 * The path a probe took, from both ends (issue 15): the hops that named themselves on the way
 * out (response headers), those that named themselves on the way in (the probe's view of the
 * request: `Via`, `X-Varnish`, CDN headers), how many forwarded it (`X-Forwarded-For`,
 * `Forwarded`), and hops that add no header at all but give themselves away by how they write
 * the request. The doctor sends a header spelt `x-Sluice-doctor`; observed with Debian's hops in
 * front of a header-echoing server: HAProxy 2.6 writes every name in lower case (HTX); Caddy (Go)
 * rewrites names to canonical case (`X-Sluice-Doctor`); nginx, Apache, Varnish, Squid and
 * lighttpd pass names as they came, and all but Varnish write `Host` afresh, capitalised; H2O
 * writes its own (`host`, `via`) in lower case.
 */
import { DOCTOR_HEADER } from '../probe/request-view.ts';
import { type Fingerprint, HOP_NAMES, type HopId, hopsOf, VIA_PATTERNS } from './fingerprints.ts';
import type { RequestView, Timeline } from './timeline.ts';

/** A hop seen on the path, by name. */
export interface PathHop {
  /** When it is a product the doctor has fixes for. */
  readonly hop?: HopId;
  readonly name: string;
  /** What shows it: "Server: nginx/1.22.1", "Via: 1.1 varnish (Varnish/7.1) on the request". */
  readonly evidence: readonly string[];
}

/** A hop that names itself nowhere, inferred from what it did to the request. */
export interface SilentHop {
  /** "a hop between nginx and Sluice that adds no header" */
  readonly where: string;
  readonly evidence: string;
  /** Products known for that habit: suspects, never names. */
  readonly candidates: readonly HopId[];
  /** How many hops this stands for (several may add only X-Forwarded-For). */
  readonly count: number;
}

export interface PathView {
  /** Whether the probe said what arrived (a Sluice from before issue 15 does not). */
  readonly seen: boolean;
  /** The HTTP version of the request that reached Sluice. */
  readonly httpVersion?: string;
  /** The hops that named themselves, either way. */
  readonly named: readonly PathHop[];
  /** Entries in X-Forwarded-For (or Forwarded): hops that forwarded the request, at least. */
  readonly forwarders: number;
  readonly silent: readonly SilentHop[];
  /** Hops between the doctor and Sluice, at least. */
  readonly atLeast: number;
  /** The probe echoed another run's token: this stream was recorded for someone else. */
  readonly replayed: boolean;
  readonly notes: readonly string[];
  /** The hop headers that arrived at Sluice (addresses as their kind). */
  readonly requestHeaders: Readonly<Record<string, string>>;
}

/** Hops seen writing `Host` afresh, capitalised, whatever the client sent (Varnish passes it on). */
const HOST_WRITERS: readonly HopId[] = [
  'nginx',
  'openresty',
  'apache',
  'caddy',
  'squid',
  'lighttpd',
];
/** Hops that write header names in lower case. */
const LOWER_CASING: readonly HopId[] = ['haproxy', 'envoy', 'express'];
const LOWER_CASING_TEXT = 'as HAProxy 2.x, Envoy and Node.js proxies do';
/** Hops that write their own header names (`host`, `via`) in lower case but pass others' as they came. */
const OWN_LOWER_CASING: readonly HopId[] = ['h2o'];
/** Hops that add a `Via` the doctor may not recognise by product (H2O: `1.1 10.0.0.5:8080`). */
const VIA_ADDERS: readonly HopId[] = ['h2o', 'varnish', 'squid', 'google', 'cloudfront'];

export function pathOf(timeline: Timeline, fingerprints: readonly Fingerprint[]): PathView {
  const view = timeline.events.find((e) => e.request !== undefined)?.request;
  const named = namedHops(fingerprints, view);
  const proxy = forwardProxyHop(timeline, fingerprints, view);
  if (view === undefined) {
    return {
      seen: false,
      named,
      forwarders: 0,
      silent: proxy === undefined ? [] : [proxy],
      atLeast: named.length + (proxy === undefined ? 0 : 1),
      replayed: false,
      notes: [],
      requestHeaders: {},
    };
  }
  const forwarders = Math.max(
    entries(view.headers['x-forwarded-for']),
    entries(view.headers['forwarded']),
  );
  const silent = silentHops(view, named, timeline.protocol);
  if (proxy !== undefined) silent.unshift(proxy);
  const seen = named.length + silent.length;
  const extra = forwarders - seen;
  if (extra > 0) {
    silent.push({
      where:
        extra === 1
          ? 'a hop that adds only X-Forwarded-For'
          : `${extra} hops that add only X-Forwarded-For`,
      evidence: `X-Forwarded-For lists ${forwarders} addresses, one per hop that forwarded the request, but only ${seen} hop(s) show otherwise`,
      candidates: [],
      count: extra,
    });
  }
  const notes: string[] = [];
  if (view.httpVersion === '1.0') {
    notes.push(
      "the request reached Sluice over HTTP/1.0: the hop nearest Sluice speaks HTTP/1.0 to it (nginx's default proxy_http_version), a new connection per request",
    );
  }
  const token = timeline.doctorToken;
  return {
    seen: true,
    httpVersion: view.httpVersion,
    named,
    forwarders,
    silent,
    atLeast: named.length + silent.reduce((n, hop) => n + hop.count, 0),
    replayed: token !== undefined && view.doctor !== undefined && view.doctor !== token,
    notes,
    requestHeaders: view.headers,
  };
}

/**
 * The forward proxy the doctor itself went through: a hop it knows of even when the proxy names
 * itself nowhere. A proxy should add `Via` (RFC 9110 §7.6.3), and Squid does and is named by it;
 * debugging and filtering proxies (mitmproxy, corporate web gateways) often add nothing. A CONNECT
 * tunnel relays bytes it cannot read: a hop for streaming only if it intercepts TLS.
 */
function forwardProxyHop(
  timeline: Timeline,
  fingerprints: readonly Fingerprint[],
  view: RequestView | undefined,
): SilentHop | undefined {
  const proxy = timeline.forwardProxy;
  if (proxy === undefined || view?.headers['via'] !== undefined) return undefined;
  const issuer = fingerprints.find((f) => f.signal === 'tls-inspection')?.value;
  if (proxy.tunnel && issuer === undefined) return undefined;
  const how = proxy.tunnel
    ? `through a CONNECT tunnel it opens up (TLS intercepted: certificate issued by ${issuer ?? ''})`
    : 'as its HTTP proxy';
  return {
    where: `the forward proxy ${proxy.url}`,
    evidence:
      view === undefined
        ? `the doctor went to the server ${how}`
        : `the doctor went to Sluice ${how}, and the request arrived with no Via, which a proxy should add: it names itself nowhere`,
    candidates: ['forward-proxy'],
    count: 1,
  };
}

/** "nginx", "nginx and Varnish", "Cloudflare, nginx and Varnish". */
export function describeHops(hops: readonly PathHop[]): string {
  const names = hops.map((h) => h.name);
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}

/** Hop ids the path names (response and request), each once. */
export function namedIds(path: PathView): HopId[] {
  const ids: HopId[] = [];
  for (const h of path.named) if (h.hop !== undefined && !ids.includes(h.hop)) ids.push(h.hop);
  return ids;
}

function namedHops(fingerprints: readonly Fingerprint[], view: RequestView | undefined): PathHop[] {
  const hops: { hop?: HopId; name: string; evidence: string[] }[] = [];
  const add = (hop: HopId | undefined, name: string, evidence: string): void => {
    const known = hops.find((h) => (hop !== undefined ? h.hop === hop : h.name === name));
    if (known === undefined)
      hops.push({ ...(hop === undefined ? {} : { hop }), name, evidence: [evidence] });
    else if (!known.evidence.includes(evidence)) known.evidence.push(evidence);
  };
  for (const hop of hopsOf(fingerprints)) {
    for (const f of fingerprints.filter((x) => x.hop === hop)) {
      add(hop, HOP_NAMES[hop], f.signal === 'hop' ? `${f.header}: ${f.value}` : f.meaning);
    }
  }
  if (view === undefined) return hops;
  for (const [hop, name, evidence] of requestMarks(view)) {
    // A Via that names no product is likely the one a hop named on the response added.
    const owner =
      hop === undefined && evidence.startsWith('Via:')
        ? hops.find(
            (h) =>
              h.hop !== undefined &&
              VIA_ADDERS.includes(h.hop) &&
              !h.evidence.some((e) => e.startsWith('Via:')),
          )
        : undefined;
    if (owner?.hop !== undefined) add(owner.hop, owner.name, evidence);
    else add(hop, name, evidence);
  }
  return hops;
}

/** Request headers that name a hop: [hop id if one, name, evidence]. */
function requestMarks(view: RequestView): [HopId | undefined, string, string][] {
  const marks: [HopId | undefined, string, string][] = [];
  const h = view.headers;
  const on = (name: string): string =>
    `${view.spelling[name] ?? name}: ${h[name] ?? ''} on the request`;
  for (const entry of (h['via'] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const hop = VIA_PATTERNS.find(([pattern]) => pattern.test(entry))?.[1];
    const evidence = `Via: ${entry} on the request`;
    marks.push([
      hop,
      hop === undefined ? `a hop that says "Via: ${entry}"` : HOP_NAMES[hop],
      evidence,
    ]);
  }
  if (h['x-varnish'] !== undefined) marks.push(['varnish', HOP_NAMES.varnish, on('x-varnish')]);
  if (h['surrogate-capability'] !== undefined)
    marks.push(['squid', HOP_NAMES.squid, on('surrogate-capability')]);
  for (const name of ['cf-ray', 'cf-connecting-ip', 'cf-visitor']) {
    if (h[name] !== undefined) marks.push(['cloudflare', HOP_NAMES.cloudflare, on(name)]);
  }
  if (/cloudflare/i.test(h['cdn-loop'] ?? ''))
    marks.push(['cloudflare', HOP_NAMES.cloudflare, on('cdn-loop')]);
  if (h['x-amz-cf-id'] !== undefined)
    marks.push(['cloudfront', HOP_NAMES.cloudfront, on('x-amz-cf-id')]);
  if (h['x-amzn-trace-id'] !== undefined)
    marks.push(['aws-alb', HOP_NAMES['aws-alb'], on('x-amzn-trace-id')]);
  if (h['x-cloud-trace-context'] !== undefined)
    marks.push(['google', HOP_NAMES.google, on('x-cloud-trace-context')]);
  const envoy = Object.keys(h).find((name) => name.startsWith('x-envoy-'));
  if (envoy !== undefined) marks.push(['envoy', HOP_NAMES.envoy, on(envoy)]);
  const fastly = Object.keys(h).find((name) => name.startsWith('fastly-'));
  if (fastly !== undefined || /fastly/i.test(h['cdn-loop'] ?? ''))
    marks.push([undefined, 'Fastly', on(fastly ?? 'cdn-loop')]);
  if (h['akamai-origin-hop'] !== undefined)
    marks.push([undefined, 'Akamai', on('akamai-origin-hop')]);
  if (h['x-host'] !== undefined) marks.push(['lighttpd', HOP_NAMES.lighttpd, on('x-host')]);
  return marks;
}

function silentHops(
  view: RequestView,
  named: readonly PathHop[],
  protocol: Timeline['protocol'],
): SilentHop[] {
  const silent: SilentHop[] = [];
  const ids = named.flatMap((h) => (h.hop === undefined ? [] : [h.hop]));
  const host = view.spelling['host'];
  const marker = view.spelling[DOCTOR_HEADER.toLowerCase()];
  const rewriters = named.filter((h) => h.hop !== undefined && HOST_WRITERS.includes(h.hop));
  // Over HTTP/2 every name is lower case on the wire: only a rewritten Host tells then.
  const markerLowered =
    protocol !== 'h2' &&
    marker !== undefined &&
    marker !== DOCTOR_HEADER &&
    marker === marker.toLowerCase();
  const hostLowered = host === 'host' && rewriters.length > 0;
  // The doctor's own header kept its case: only a hop that lower-cases the names it writes itself.
  const candidates =
    markerLowered || marker === undefined
      ? [...LOWER_CASING, ...(markerLowered ? [] : OWN_LOWER_CASING)]
      : OWN_LOWER_CASING;
  const habit = markerLowered
    ? LOWER_CASING_TEXT
    : marker === undefined
      ? `${LOWER_CASING_TEXT}, or writes its own so, as H2O does`
      : 'writing its own in lower case, as H2O does';
  if ((markerLowered || hostLowered) && !ids.some((id) => candidates.includes(id))) {
    const writers = describeHops(rewriters);
    // A Via no product claims may be this very hop (H2O says `Via: 1.1 <address>`).
    const viaOnly = named.some(
      (h) => h.hop === undefined && h.evidence.some((e) => e.startsWith('Via:')),
    );
    const what = viaOnly ? 'that names no product' : 'that adds no header';
    const sent = `the doctor sent "${DOCTOR_HEADER}" and it arrived as "${marker ?? ''}": a hop writes header names in lower case (${LOWER_CASING_TEXT})`;
    let where: string;
    let evidence: string;
    if (hostLowered) {
      where = `a hop between ${writers} and Sluice ${what}`;
      evidence = `${writers} write${rewriters.length === 1 ? 's' : ''} the Host header afresh as "Host", yet it reached Sluice spelt "host": a hop behind ${rewriters.length === 1 ? 'it' : 'them'} writes header names in lower case (${habit})`;
    } else if (rewriters.length > 0) {
      where = `a hop in front of ${writers} ${what}`;
      evidence = `${sent}; not behind ${writers}, whose fresh "Host" arrived as written`;
    } else if (named.length === 0) {
      where = `a hop in front of Sluice ${what}`;
      evidence = sent;
    } else {
      where = `a hop ${what}, in front of or behind ${describeHops(named)}`;
      evidence = sent;
    }
    silent.push({ where, evidence, candidates, count: viaOnly ? 0 : 1 });
  }
  if (
    marker !== undefined &&
    marker !== DOCTOR_HEADER &&
    isCanonical(marker) &&
    !ids.includes('caddy')
  ) {
    silent.push({
      where: 'a hop that adds no header and rewrites header names the way Go servers do',
      evidence: `the doctor sent "${DOCTOR_HEADER}" and it arrived as "${marker}": a Go server (Caddy, Traefik) rewrote it`,
      candidates: ['caddy'],
      count: 1,
    });
  }
  return silent;
}

/** `X-Sluice-Doctor`: each dash-separated word capitalised, as Go's textproto writes names. */
function isCanonical(name: string): boolean {
  return name.split('-').every((word) => /^[A-Z][a-z0-9]*$/.test(word));
}

function entries(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 0;
  const parts = value.split(',').map((p) => p.trim());
  const more = /^… (\d+) more$/.exec(parts.at(-1) ?? '');
  return more === null ? parts.length : parts.length - 1 + Number(more[1]);
}
