/**
 * The classification core on timelines recorded from real intermediaries (Debian's nginx 1.22,
 * Apache 2.4, Caddy 2.6, Varnish 7.1, HAProxy 2.6 in front of Sluice; see doctor-hops.test.ts,
 * which re-records them with SLUICE_RECORD_DOCTOR_FIXTURES=1). nginx-haproxy-timeout (nginx in
 * front of a HAProxy with `timeout server 3s`) carries the probe's view of the request. No sockets: the same bytes and
 * times, classified again, must give the same verdict, cause and hop.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { classify, type Timeline } from '../src/doctor/index.ts';

function load(name: string): Timeline {
  const url = new URL(`./fixtures/doctor/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Timeline;
}

const EXPECTED: readonly {
  readonly fixture: string;
  readonly verdict: string;
  readonly cause: string;
  readonly hops: readonly string[];
  /** A fix snippet (or text) that must be offered. */
  readonly fix?: RegExp;
}[] = [
  { fixture: 'nginx-streaming', verdict: 'ok', cause: 'healthy', hops: ['nginx'] },
  {
    fixture: 'nginx-ignore-accel',
    verdict: 'buffered',
    cause: 'size-bursts',
    hops: ['nginx'],
    fix: /proxy_buffering off;/,
  },
  { fixture: 'nginx-gzip', verdict: 'ok', cause: 'healthy', hops: ['nginx'], fix: /gzip off;/ },
  {
    fixture: 'nginx-gzip-buffered',
    verdict: 'buffered',
    cause: 'fully-buffered',
    hops: ['nginx'],
    fix: /gzip off;/,
  },
  {
    fixture: 'nginx-read-timeout',
    verdict: 'cut',
    cause: 'idle-cut',
    hops: ['nginx'],
    fix: /proxy_read_timeout 3600s;/,
  },
  {
    fixture: 'apache-proxy-timeout',
    verdict: 'cut',
    cause: 'idle-cut',
    hops: ['apache'],
    fix: /ProxyTimeout 3600/,
  },
  { fixture: 'apache-deflate', verdict: 'ok', cause: 'healthy', hops: ['apache'], fix: /no-gzip/ },
  {
    fixture: 'caddy-encode',
    verdict: 'buffered',
    cause: 'fully-buffered',
    hops: ['caddy'],
    fix: /encode \{/,
  },
  {
    fixture: 'varnish-no-stream',
    verdict: 'buffered',
    cause: 'fully-buffered',
    hops: ['varnish'],
    fix: /do_stream = true/,
  },
  {
    fixture: 'varnish-cached-replay',
    verdict: 'buffered',
    cause: 'cached-replay',
    hops: ['varnish'],
    fix: /uncacheable/,
  },
  {
    fixture: 'nginx-haproxy-timeout',
    verdict: 'cut',
    cause: 'idle-cut',
    hops: ['nginx'],
    fix: /timeout server 1h/,
  },
  {
    fixture: 'haproxy-stock',
    verdict: 'delayed',
    cause: 'periodic-flush',
    hops: [],
    fix: /option http-no-delay/,
  },
];

describe('classify: recorded timelines', () => {
  for (const expected of EXPECTED) {
    it(`${expected.fixture}: ${expected.verdict}, ${expected.cause}`, () => {
      const d = classify(load(expected.fixture));
      const summary = d.causes.map((c) => `${c.id}: ${c.title}`).join('\n');
      assert.equal(d.verdict, expected.verdict, summary);
      assert.equal(d.causes[0]?.id, expected.cause, summary);
      assert.deepEqual(d.hops, expected.hops);
      if (expected.fix !== undefined) {
        const offered = d.causes.flatMap((c) =>
          c.fixes.map((f) => `${f.snippet ?? ''}\n${f.text}`),
        );
        assert.ok(
          offered.some((f) => expected.fix?.test(f)),
          offered.join('\n---\n'),
        );
      }
    });
  }

  it('compression on time is a note, not a problem (nginx gzip, Apache DEFLATE)', () => {
    for (const name of ['nginx-gzip', 'apache-deflate']) {
      const d = classify(load(name));
      assert.deepEqual(
        d.causes.map((c) => [c.id, c.severity]),
        [
          ['healthy', 'ok'],
          ['compressed-stream', 'warning'],
        ],
        name,
      );
    }
  });

  it('nginx buffering reads as 4 KiB bursts, named after proxy_buffer_size', () => {
    const cause = classify(load('nginx-ignore-accel')).causes[0];
    assert.equal(cause?.measures['buffer_bytes'], 4096);
    assert.match(cause.title, /proxy_buffer_size/);
  });

  it('nginx → a silent HAProxy that cut: the cut is not pinned on nginx, HAProxy suspected first', () => {
    // Recorded by the probe that says how the request arrived: every name in lower case.
    const cause = classify(load('nginx-haproxy-timeout')).causes[0];
    assert.equal(cause?.suspected, true);
    assert.match(
      cause.suspect ?? '',
      /a hop between nginx and Sluice that adds no header, or nginx/,
    );
    assert.equal(cause.fixes[0]?.hop, 'haproxy');
  });

  it('the idle cuts match no default timeout: a configured one of about 2 s', () => {
    for (const name of ['nginx-read-timeout', 'apache-proxy-timeout']) {
      const cause = classify(load(name)).causes[0];
      const matched = cause?.measures['matched_timeout_s'] ?? 0;
      assert.ok(matched >= 1.8 && matched <= 2.6, `${name}: ${matched}`);
      assert.match(cause?.evidence.join('\n') ?? '', /no known default matches/);
    }
  });
});
