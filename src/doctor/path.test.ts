/**
 * The path from both ends: hops named on the response and on the request, and hops that name
 * themselves nowhere but show in how the request was written (spellings observed with Debian's
 * HAProxy 2.6, nginx 1.22, Apache 2.4, Caddy 2.6, Varnish 7.1, Squid 5.7, lighttpd 1.4).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  arrivedAs,
  LOWER_CASED,
  NGINX_HEADERS as NGINX,
  THROUGH_NGINX,
} from '../../test/support/arrived-timeline.ts';
import {
  probeTimeline,
  SSE_HEADERS,
} from '../../test/support/intermediaries/synthetic-timeline.ts';
import { readFingerprints } from './fingerprints.ts';
import { pathOf } from './path.ts';
import type { ProbeShape, Timeline } from './timeline.ts';

const PROBE: ProbeShape = { events: 5, intervalMs: 100, pad: 0, silenceMs: 0 };

function path(timeline: Timeline) {
  const fingerprints = readFingerprints(timeline.headers, {
    sentAccelBuffering: true,
    isEventStream: true,
  });
  return pathOf(timeline, fingerprints);
}

describe('pathOf', () => {
  it('without the probe saying what arrived (an older Sluice): only response headers', () => {
    const timeline = probeTimeline({ probe: PROBE, arrivals: [3, 103, 203, 303, 403] });
    const p = path({ ...timeline, headers: NGINX });
    assert.equal(p.seen, false);
    assert.deepEqual(
      p.named.map((h) => h.hop),
      ['nginx'],
    );
    assert.deepEqual(p.silent, []);
  });

  it('directly to Sluice: no hop', () => {
    const p = path(arrivedAs({}));
    assert.equal(p.seen, true);
    assert.equal(p.atLeast, 0);
    assert.deepEqual(p.silent, []);
  });

  it('nginx alone (HTTP/1.0, Host written afresh): one hop, nothing silent', () => {
    const p = path(arrivedAs(THROUGH_NGINX, NGINX));
    assert.equal(p.atLeast, 1);
    assert.deepEqual(p.silent, []);
    assert.match(p.notes.join('\n'), /HTTP\/1\.0.*proxy_http_version/);
  });

  it('nginx, then a hop that writes names in lower case (HAProxy): a silent hop behind nginx', () => {
    const p = path(arrivedAs(LOWER_CASED, NGINX));
    assert.equal(p.atLeast, 2);
    assert.equal(p.silent.length, 1);
    assert.equal(p.silent[0]?.where, 'a hop between nginx and Sluice that adds no header');
    assert.match(
      p.silent[0].evidence,
      /nginx writes the Host header afresh as "Host", yet it reached Sluice spelt "host"/,
    );
    assert.deepEqual(p.silent[0].candidates, ['haproxy', 'envoy', 'express']);
  });

  it("only Host lower-cased behind nginx, the doctor's own header intact: H2O-like", () => {
    const p = path(
      arrivedAs({ spelling: { host: 'host', 'x-sluice-doctor': 'x-Sluice-doctor' } }, NGINX),
    );
    assert.deepEqual(p.silent[0]?.candidates, ['h2o']);
  });

  it('HAProxy alone: a hop in front of Sluice that adds no header', () => {
    const p = path(arrivedAs(LOWER_CASED));
    assert.equal(p.silent[0]?.where, 'a hop in front of Sluice that adds no header');
    assert.match(
      p.silent[0].evidence,
      /sent "x-Sluice-doctor" and it arrived as "x-sluice-doctor"/,
    );
  });

  it('a lower-casing hop in front of nginx: its fresh Host arrived as written', () => {
    const p = path(
      arrivedAs({ spelling: { host: 'Host', 'x-sluice-doctor': 'x-sluice-doctor' } }, NGINX),
    );
    assert.equal(p.silent[0]?.where, 'a hop in front of nginx that adds no header');
  });

  it('over HTTP/2 names are lower case on the wire: only a rewritten Host tells', () => {
    const h2 = { protocol: 'h2' } as const;
    assert.deepEqual(path(arrivedAs(LOWER_CASED, SSE_HEADERS, h2)).silent, []);
    assert.equal(path(arrivedAs(LOWER_CASED, NGINX, h2)).silent.length, 1);
  });

  it('the doctor straight to Sluice writes "host" itself: no hop for that', () => {
    assert.deepEqual(path(arrivedAs({})).silent, []);
  });

  it('a lower-case Host is no silent hop when a hop known to write so is named', () => {
    const envoy = arrivedAs({
      ...LOWER_CASED,
      headers: { 'x-envoy-expected-rq-timeout-ms': '15000' },
    });
    assert.deepEqual(path(envoy).silent, []);
    assert.deepEqual(
      path(envoy).named.map((h) => h.hop),
      ['envoy'],
    );
  });

  it('names hops from the request: Via, X-Varnish, CDN headers', () => {
    const p = path(
      arrivedAs({
        headers: {
          via: '1.1 sluice-test-squid (squid/5.7)',
          'x-amz-cf-id': 'abc',
          'fastly-ff': 'cache-1',
          'x-forwarded-for': 'public, private',
        },
        spelling: { host: 'Host', via: 'Via' },
      }),
    );
    assert.deepEqual(
      p.named.map((h) => h.name),
      ['Squid', 'Amazon CloudFront', 'Fastly'],
    );
    assert.match(
      p.named[0]?.evidence[0] ?? '',
      /Via: 1\.1 sluice-test-squid \(squid\/5\.7\) on the request/,
    );
    assert.equal(p.forwarders, 2);
    assert.deepEqual(p.silent, []);
  });

  it("H2O's own Via (an address, no product) is H2O's, not one more hop", () => {
    const h2o = arrivedAs(
      { headers: { via: '1.1 loopback', 'x-forwarded-for': 'loopback' } },
      { ...SSE_HEADERS, server: 'h2o/2.2.5' },
    );
    assert.deepEqual(
      path(h2o).named.map((h) => h.hop),
      ['h2o'],
    );
    assert.equal(path(h2o).atLeast, 1);
  });

  it('a name rewritten the Go way shows a Go hop, unless Caddy is named', () => {
    const go = { spelling: { host: 'Host', 'x-sluice-doctor': 'X-Sluice-Doctor' } };
    assert.match(path(arrivedAs(go)).silent[0]?.where ?? '', /Go servers/);
    assert.deepEqual(path(arrivedAs(go, { ...SSE_HEADERS, server: 'Caddy' })).silent, []);
  });

  it('more X-Forwarded-For entries than hops seen: hops that add only that', () => {
    const p = path(
      arrivedAs(
        { ...THROUGH_NGINX, headers: { 'x-forwarded-for': 'public, private, private' } },
        NGINX,
      ),
    );
    assert.equal(p.forwarders, 3);
    assert.equal(p.silent[0]?.where, '2 hops that add only X-Forwarded-For');
    assert.equal(p.atLeast, 3);
  });

  it("another run's token echoed: a recording", () => {
    const mine = arrivedAs({ doctor: 'aaa' }, SSE_HEADERS, { doctorToken: 'aaa' });
    const theirs = arrivedAs({ doctor: 'bbb' }, SSE_HEADERS, { doctorToken: 'aaa' });
    assert.equal(path(mine).replayed, false);
    assert.equal(path(theirs).replayed, true);
  });
});
