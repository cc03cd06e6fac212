/** Naming hops from response headers (research notes §1.1, "Header fingerprints"). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hopsOf, readFingerprints, type FingerprintContext } from './fingerprints.ts';
import { matchTimeouts } from './known-timeouts.ts';

const PROBE: FingerprintContext = { sentAccelBuffering: true, isEventStream: true };
const SSE = { 'content-type': 'text/event-stream', 'x-accel-buffering': 'no' };

function hops(headers: Record<string, string>, context = PROBE): string[] {
  return hopsOf(readFingerprints(headers, context));
}

function signals(headers: Record<string, string>, context = PROBE): string[] {
  return readFingerprints(headers, context).map((f) => f.signal);
}

describe('fingerprints', () => {
  it('Server names the hop', () => {
    const cases: [string, string][] = [
      ['nginx/1.22.1', 'nginx'],
      ['openresty/1.25.3.1', 'openresty'],
      ['Apache/2.4.71 (Debian)', 'apache'],
      ['Caddy', 'caddy'],
      ['Microsoft-IIS/10.0', 'iis'],
      ['awselb/2.0', 'aws-alb'],
      ['cloudflare', 'cloudflare'],
      ['Google Frontend', 'google'],
      ['Vercel', 'vercel'],
      ['Netlify', 'netlify'],
      ['envoy', 'envoy'],
      ['lighttpd/1.4.69', 'lighttpd'],
      ['h2o/2.2.5', 'h2o'],
      ['squid/5.7', 'squid'],
    ];
    for (const [server, hop] of cases) assert.deepEqual(hops({ ...SSE, server }), [hop], server);
  });

  it('Via names caches and CDNs', () => {
    assert.deepEqual(hops({ ...SSE, via: '1.1 varnish (Varnish/7.1)' }), ['varnish']);
    assert.deepEqual(hops({ ...SSE, via: '1.1 squid-proxy (squid/5.7)' }), ['squid']);
    assert.deepEqual(hops({ ...SSE, via: '1.1 google' }), ['google']);
    assert.deepEqual(hops({ ...SSE, via: '1.1 abc.cloudfront.net (CloudFront)' }), ['cloudfront']);
  });

  it("Squid's own headers name it, and CloudFront's look-alike X-Cache does not", () => {
    assert.deepEqual(hops({ ...SSE, 'x-cache': 'MISS from proxy1' }), ['squid']);
    assert.deepEqual(hops({ ...SSE, 'x-cache-lookup': 'MISS from proxy1:3128' }), ['squid']);
    assert.deepEqual(hops({ ...SSE, 'x-squid-error': 'ERR_READ_TIMEOUT 0' }), ['squid']);
    assert.deepEqual(hops({ ...SSE, 'x-cache': 'Miss from cloudfront' }), []);
    assert.deepEqual(hops({ ...SSE, 'x-cache': 'HIT, MISS' }), []);
    // What Debian's Squid 5.7 sends as a reverse proxy: three headers, one hop.
    const squid = readFingerprints(
      {
        ...SSE,
        via: '1.1 proxy1 (squid/5.7)',
        'x-cache': 'MISS from proxy1',
        'x-cache-lookup': 'MISS from proxy1:3128',
      },
      PROBE,
    );
    assert.deepEqual(hopsOf(squid), ['squid']);
    assert.deepEqual(
      squid.filter((f) => f.signal === 'hop').map((f) => f.header),
      ['via', 'x-cache-lookup', 'x-cache'],
    );
  });

  it('platform headers name the platform', () => {
    assert.deepEqual(hops({ ...SSE, 'cf-ray': '8a1b2c3d-AMS', 'cf-cache-status': 'DYNAMIC' }), [
      'cloudflare',
    ]);
    assert.deepEqual(hops({ ...SSE, 'x-amz-cf-id': 'abc==' }), ['cloudfront']);
    assert.deepEqual(hops({ ...SSE, 'x-vercel-id': 'fra1::abc' }), ['vercel']);
    assert.deepEqual(hops({ ...SSE, 'fly-request-id': '01H…' }), ['fly']);
    assert.deepEqual(hops({ ...SSE, 'x-powered-by': 'ASP.NET' }), ['iis']);
  });

  it("X-Accel-Buffering missing though Sluice's probe sent it: an nginx-like hop consumed it", () => {
    const found = readFingerprints({ 'content-type': 'text/event-stream' }, PROBE);
    assert.deepEqual(
      found.map((f) => [f.signal, f.hop]),
      [['accel-consumed', 'nginx']],
    );
    assert.deepEqual(signals(SSE), ['accel-passed']);
    // Another server's stream never carried it: no conclusion.
    assert.deepEqual(
      signals({ 'content-type': 'text/event-stream' }, { ...PROBE, sentAccelBuffering: false }),
      [],
    );
  });

  it('Content-Length and Content-Encoding on an event stream, not on other bodies', () => {
    assert.deepEqual(signals({ ...SSE, 'content-length': '17789', 'content-encoding': 'gzip' }), [
      'accel-passed',
      'content-length',
      'content-encoding',
    ]);
    assert.deepEqual(
      signals(
        { 'content-type': 'application/json', 'content-length': '9' },
        { ...PROBE, isEventStream: false },
      ),
      [],
    );
    assert.ok(!signals({ ...SSE, 'content-encoding': 'identity' }).includes('content-encoding'));
  });

  it('cache signals: HIT headers, two Varnish ids, a nonzero Age — but not Age: 0', () => {
    assert.ok(signals({ ...SSE, 'x-cache': 'HIT from edge' }).includes('cache-hit'));
    assert.ok(signals({ ...SSE, 'cf-cache-status': 'HIT' }).includes('cache-hit'));
    assert.ok(!signals({ ...SSE, 'cf-cache-status': 'DYNAMIC' }).includes('cache-hit'));
    assert.ok(signals({ ...SSE, 'x-varnish': '32773 32771' }).includes('cache-hit'));
    assert.ok(!signals({ ...SSE, 'x-varnish': '32770' }).includes('cache-hit'));
    assert.ok(signals({ ...SSE, age: '12' }).includes('age'));
    assert.ok(!signals({ ...SSE, age: '0' }).includes('age'));
  });

  it('Alt-Svc h3 and a TLS-inspecting certificate issuer', () => {
    assert.ok(signals({ ...SSE, 'alt-svc': 'h3=":443"; ma=86400' }).includes('alt-svc-h3'));
    assert.ok(signals(SSE, { ...PROBE, tlsIssuer: 'Zscaler Inc.' }).includes('tls-inspection'));
    assert.ok(!signals(SSE, { ...PROBE, tlsIssuer: "Let's Encrypt" }).includes('tls-inspection'));
  });
});

describe('known timeouts', () => {
  it('matches a cut against the research table, by kind', () => {
    assert.deepEqual(
      matchTimeouts(60_400, 'idle').map((m) => m.seconds),
      [60],
    );
    assert.deepEqual(matchTimeouts(50_900, 'idle')[0]?.hops, ['haproxy']);
    assert.deepEqual(matchTimeouts(100_300, 'idle')[0]?.hops, ['cloudflare']);
    assert.deepEqual(matchTimeouts(30_050, 'total')[0]?.hops, ['google']);
    assert.deepEqual(matchTimeouts(2_000, 'idle'), []);
    assert.deepEqual(matchTimeouts(45_000, 'idle'), []);
  });

  it("knows H2O's 30 s proxy.timeout.io, lighttpd's 360 s write idle, Squid's 15 min read_timeout", () => {
    assert.ok(matchTimeouts(30_400, 'idle').some((m) => m.hops.includes('h2o')));
    assert.deepEqual(matchTimeouts(361_000, 'idle')[0]?.hops, ['lighttpd']);
    assert.deepEqual(matchTimeouts(901_000, 'idle')[0]?.hops, ['squid']);
    assert.ok(!matchTimeouts(901_000, 'total').some((m) => m.hops.includes('squid')));
  });
});
