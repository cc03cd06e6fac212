/**
 * `sluice doctor` against real intermediaries from Debian, each started on loopback in front of a
 * real Sluice: for each broken chain the doctor must give the right class, name the hop and print
 * a fix that, pasted into the hop's config, makes the doctor pass. A hop that compresses but
 * still delivers every event on time must not be called buffered.
 *
 * The scenarios run one after another in this one file: they measure timing, and two probes side
 * by side on a 2-core machine would disturb each other. Probes are short (30 × 50 ms) so the
 * whole file stays well under two minutes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DoctorJson } from '../src/doctor/index.ts';
import { startApache } from './support/intermediaries/apache.ts';
import { startCaddy } from './support/intermediaries/caddy.ts';
import { applyFix, probeArgs, runDoctor } from './support/intermediaries/doctor-run.ts';
import { startHaproxy } from './support/intermediaries/haproxy.ts';
import { startVarnish } from './support/intermediaries/varnish.ts';
import { proxyServerBlock, startNginx } from './support/nginx.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';

/** 30 events × ~600 B ≈ 18 KiB: several times nginx's 4 KiB proxy buffer. */
const PROBE = probeArgs({ events: 30, intervalMs: 50, pad: 512, silenceMs: 0 });
/** One event, then 4 s with no byte at all: longer than the 2 s timeouts configured below. */
const SILENT = probeArgs({ events: 3, intervalMs: 50, pad: 0, silenceMs: 4000 });

let sluice: TestSluice;
let sluicePort: number;
before(async () => {
  sluice = await startTestSluice({ SLUICE_LOG_LEVEL: 'warn' });
  sluicePort = Number(new URL(sluice.url).port);
});
after(() => sluice.stop());

interface Hop {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a hop, runs the doctor through it, stops it. */
async function through(
  start: () => Promise<Hop>,
  args: readonly string[],
  record?: string,
): Promise<DoctorJson & { code: number }> {
  const hop = await start();
  try {
    const run = await runDoctor([hop.url, '--json', ...args], record);
    assert.ok(run.json, `doctor printed JSON:\n${run.stdout}\n${run.stderr}`);
    return { ...run.json, code: run.code };
  } finally {
    await hop.stop();
  }
}

function explain(result: DoctorJson): string {
  return result.causes.map((c) => `${c.id}: ${c.title}\n  ${c.evidence.join('\n  ')}`).join('\n');
}

/** The first fix snippet for `hop` among the problem causes (or notes). */
function snippetFor(result: DoctorJson, hop: string): string {
  for (const cause of result.causes) {
    const fix = cause.fixes.find((f) => f.hop === hop && f.snippet !== null);
    if (fix?.snippet) return fix.snippet;
  }
  assert.fail(`no ${hop} fix in:\n${explain(result)}`);
}

function assertHealthy(result: DoctorJson & { code: number }): void {
  assert.equal(result.verdict, 'ok', explain(result));
  assert.equal(result.code, 0);
  assert.equal(result.causes[0]?.id, 'healthy');
}

describe('doctor through nginx', () => {
  const nginx =
    (directives: readonly string[], httpExtra = '') =>
    (): Promise<Hop> =>
      startNginx({
        serverBlock: proxyServerBlock({
          upstreamPort: sluicePort,
          locationExtra: directives.join('\n'),
        }),
        httpExtra,
      });
  const STREAMING = [
    'proxy_buffering off;',
    'proxy_http_version 1.1;',
    'proxy_set_header Connection "";',
    'gzip off;',
    'proxy_read_timeout 3600s;',
  ];

  it('a correct streaming config is healthy (exit 0)', async () => {
    const result = await through(nginx(STREAMING), PROBE, 'nginx-streaming');
    assertHealthy(result);
    assert.ok(result.hops.includes('nginx'));
  });

  it('nginx ignoring X-Accel-Buffering buffers: size bursts named nginx; its fix makes it pass', async () => {
    const broken = ['proxy_ignore_headers X-Accel-Buffering;'];
    const result = await through(nginx(broken), PROBE, 'nginx-ignore-accel');
    assert.equal(result.verdict, 'buffered', explain(result));
    assert.equal(result.code, 1);
    assert.ok(
      ['size-bursts', 'fully-buffered'].includes(result.causes[0]?.id ?? ''),
      explain(result),
    );
    assert.ok(result.causes[0]?.hops.includes('nginx'));
    const snippet = snippetFor(result, 'nginx');
    assert.match(snippet, /proxy_buffering off;/);
    assertHealthy(await through(nginx(applyFix(broken, snippet)), PROBE));
  });

  it('gzip on text/event-stream: nginx flushes per event, so ok with a compression note', async () => {
    // Observed with Debian's nginx 1.22: with X-Accel-Buffering honoured (buffering off for this
    // response), gzip flushes each event; every event arrives on time, compressed.
    const gzip = 'gzip on; gzip_types text/event-stream;';
    const result = await through(nginx([], gzip), PROBE, 'nginx-gzip');
    assertHealthy(result);
    assert.equal(result.headers['content-encoding'], 'gzip');
    const note = result.causes.find((c) => c.id === 'compressed-stream');
    assert.equal(note?.severity, 'warning');
    const snippet = snippetFor(result, 'nginx');
    assert.equal(snippet, 'gzip off;');
    const fixed = await through(nginx([snippet], gzip), PROBE);
    assertHealthy(fixed);
    assert.equal(fixed.headers['content-encoding'], undefined);
    assert.ok(!fixed.causes.some((c) => c.id === 'compressed-stream'));
  });

  it('gzip with buffering on holds everything: fully buffered, both fixes needed', async () => {
    const gzip = 'gzip on; gzip_types text/event-stream;';
    const broken = ['proxy_ignore_headers X-Accel-Buffering;'];
    const result = await through(nginx(broken, gzip), PROBE, 'nginx-gzip-buffered');
    assert.equal(result.verdict, 'buffered', explain(result));
    assert.equal(result.causes[0]?.id, 'fully-buffered');
    const snippets = result.causes[0].fixes.map((f) => f.snippet ?? '');
    assert.ok(snippets.includes('gzip off;'), snippets.join('|'));
    assert.ok(snippets.some((s) => s.includes('proxy_buffering off;')));
    const fixed = snippets.reduce<string[]>((lines, s) => applyFix(lines, s), broken);
    assertHealthy(await through(nginx(fixed, gzip), PROBE));
  });

  it('proxy_read_timeout 2s cuts a silent stream: idle cut ≈ 2 s; raising it makes it pass', async () => {
    const broken = ['proxy_read_timeout 2s;'];
    const result = await through(nginx(broken), SILENT, 'nginx-read-timeout');
    assert.equal(result.verdict, 'cut', explain(result));
    assert.equal(result.code, 1);
    const cause = result.causes[0];
    assert.equal(cause?.id, 'idle-cut');
    const idle = cause.measures['idle_ms'] ?? 0;
    assert.ok(idle > 1500 && idle < 3500, `cut after ${idle} ms of silence`);
    assert.ok(cause.hops.includes('nginx'));
    assert.ok(cause.fixes.some((f) => f.hop === 'sluice' && f.text.includes('SLUICE_KEEPALIVE')));
    const snippet = snippetFor(result, 'nginx');
    assert.match(snippet, /proxy_read_timeout 3600s;/);
    assertHealthy(await through(nginx(applyFix(broken, snippet)), SILENT));
  });
});

describe('doctor through other Debian intermediaries', () => {
  it('Apache ProxyTimeout 2 cuts a silent stream: idle cut, Apache named, ProxyTimeout raised passes', async () => {
    const broken = ['ProxyTimeout 2'];
    const apache = (d: readonly string[]) => () =>
      startApache({ upstreamPort: sluicePort, directives: d.join('\n') });
    const result = await through(apache(broken), SILENT, 'apache-proxy-timeout');
    assert.equal(result.verdict, 'cut', explain(result));
    assert.equal(result.causes[0]?.id, 'idle-cut');
    assert.deepEqual(result.causes[0].hops, ['apache']);
    const snippet = snippetFor(result, 'apache');
    assert.equal(snippet, 'ProxyTimeout 3600');
    assertHealthy(await through(apache(applyFix(broken, snippet)), SILENT));
  });

  it('Apache mod_deflate on text/event-stream flushes per event: ok with a note naming Apache', async () => {
    const deflate = ['AddOutputFilterByType DEFLATE text/event-stream'];
    const apache = (d: readonly string[]) => () =>
      startApache({ upstreamPort: sluicePort, directives: d.join('\n') });
    const result = await through(apache(deflate), PROBE, 'apache-deflate');
    assertHealthy(result);
    assert.equal(result.headers['content-encoding'], 'gzip');
    const snippet = snippetFor(result, 'apache');
    const fixed = await through(apache(applyFix(deflate, snippet)), PROBE);
    assertHealthy(fixed);
    assert.equal(fixed.headers['content-encoding'], undefined);
  });

  it('Caddy `encode gzip` holds the whole stream: fully buffered, Caddy named; its matcher fix passes', async () => {
    const caddy = (directives: string) => () =>
      startCaddy({ upstreamPort: sluicePort, directives });
    const result = await through(caddy('encode gzip'), PROBE, 'caddy-encode');
    assert.equal(result.verdict, 'buffered', explain(result));
    assert.equal(result.causes[0]?.id, 'fully-buffered');
    assert.deepEqual(result.causes[0].hops, ['caddy']);
    const snippet = snippetFor(result, 'caddy');
    assert.match(snippet, /^encode \{/);
    const fixed = await through(caddy(snippet), PROBE);
    assertHealthy(fixed);
    assert.equal(fixed.headers['content-encoding'], undefined);
  });

  it('Varnish with do_stream off buffers: fully buffered, Varnish named via Via; do_stream on passes', async () => {
    const varnish = (backendResponse: string) => () =>
      startVarnish({ upstreamPort: sluicePort, backendResponse });
    const broken = 'set beresp.do_stream = false;';
    const result = await through(varnish(broken), PROBE, 'varnish-no-stream');
    assert.equal(result.verdict, 'buffered', explain(result));
    assert.equal(result.causes[0]?.id, 'fully-buffered');
    assert.deepEqual(result.causes[0].hops, ['varnish']);
    assert.ok(result.headers['content-length'] !== undefined);
    const snippet = snippetFor(result, 'varnish');
    assertHealthy(await through(varnish(`${broken}\n${snippet}`), PROBE));
  });

  it('Varnish forced to cache the stream replays it: cached replay; never caching SSE passes', async () => {
    const forced = 'set beresp.ttl = 60s;\nset beresp.uncacheable = false;\nreturn (deliver);';
    const twice = async (backendResponse: string, record?: string) => {
      const hop = await startVarnish({ upstreamPort: sluicePort, backendResponse });
      try {
        const first = await runDoctor([hop.url, '--json', ...PROBE]);
        const second = await runDoctor([hop.url, '--json', ...PROBE], record);
        assert.ok(first.json && second.json);
        return [first.json, second.json] as const;
      } finally {
        await hop.stop();
      }
    };
    const [fill, replay] = await twice(forced, 'varnish-cached-replay');
    assert.equal(
      fill.verdict,
      'ok',
      `the first request streams while it fills the cache\n${explain(fill)}`,
    );
    assert.equal(replay.verdict, 'buffered', explain(replay));
    assert.equal(replay.causes[0]?.id, 'cached-replay');
    assert.ok(replay.hops.includes('varnish'));
    const snippet = snippetFor(replay, 'varnish');
    const [again, notReplayed] = await twice(`${snippet}\n${forced}`);
    assert.equal(again.verdict, 'ok', explain(again));
    assert.equal(notReplayed.verdict, 'ok', explain(notReplayed));
  });

  it('HAProxy stock config batches events every ~200 ms: delayed, periodic flush; http-no-delay passes', async () => {
    // Observed: without `option http-no-delay` HAProxy sends bodies with MSG_MORE and the kernel
    // corks small writes for up to 200 ms, so 50 ms events leave in ~250 ms batches. The stream
    // still flows, late by a fraction of a second: delayed, not buffered (issue 15). HAProxy adds
    // no header of its own: the hop is suspected from the rhythm, and the report says so.
    const haproxy = (defaults: string) => () =>
      startHaproxy({ upstreamPort: sluicePort, defaults });
    const result = await through(haproxy(''), PROBE, 'haproxy-stock');
    assert.equal(result.verdict, 'delayed', explain(result));
    const cause = result.causes[0];
    assert.equal(cause?.id, 'periodic-flush');
    assert.equal(cause.suspected, true);
    assert.deepEqual(result.hops, []);
    // The probe saw the request arrive with every name in lower case: a hop that adds no header.
    assert.equal(result.path?.silent[0]?.where, 'a hop in front of Sluice that adds no header');
    const snippet = snippetFor(result, 'haproxy');
    assert.equal(snippet, 'option http-no-delay');
    assertHealthy(await through(haproxy(snippet), PROBE));
  });
});

describe('doctor through two hops, one of them silent', () => {
  // Issue 15, measured: nginx (healthy, proxy_read_timeout 3600s) → HAProxy (`timeout server
  // 3s`) → Sluice, with a 4.5 s silence. The doctor said `cut`, named nginx and printed an nginx
  // fix that changed nothing: HAProxy sends no header. Now the probe tells how the request
  // arrived — written in lower case, which nginx never does — so the cut is not pinned on nginx,
  // the guess is marked, and the silent hop's fix comes first.
  const SILENCE = probeArgs({ events: 3, intervalMs: 50, pad: 0, silenceMs: 4500 });
  const HEALTHY_NGINX = [
    'proxy_buffering off;',
    'proxy_http_version 1.1;',
    'proxy_set_header Connection "";',
    'gzip off;',
    'proxy_read_timeout 3600s;',
  ];
  const chain = (haproxyDefaults: string) => async (): Promise<Hop> => {
    const haproxy = await startHaproxy({ upstreamPort: sluicePort, defaults: haproxyDefaults });
    try {
      const nginx = await startNginx({
        serverBlock: proxyServerBlock({
          upstreamPort: haproxy.port,
          locationExtra: HEALTHY_NGINX.join('\n'),
        }),
      });
      return {
        url: nginx.url,
        stop: async () => {
          await nginx.stop();
          await haproxy.stop();
        },
      };
    } catch (error) {
      await haproxy.stop();
      throw error;
    }
  };

  it('nginx → HAProxy (timeout server 3s): cut, not pinned on nginx, HAProxy suspected first; its fix passes', async () => {
    const result = await through(chain('timeout server 3s'), SILENCE, 'nginx-haproxy-timeout');
    assert.equal(result.verdict, 'cut', explain(result));
    const cause = result.causes[0];
    assert.equal(cause?.id, 'idle-cut');
    assert.equal(cause.suspected, true, 'a guess, and marked as one');
    assert.match(cause.suspect ?? '', /a hop between nginx and Sluice that adds no header/);
    assert.equal(cause.fixes[0]?.hop, 'haproxy');
    for (const fix of cause.fixes.filter((f) => f.hop === 'nginx')) {
      assert.equal(fix.suspected, true, 'no confident fix for nginx');
    }
    assert.deepEqual(result.hops, ['nginx'], 'only nginx names itself');
    assert.equal(result.path?.at_least, 2);
    const snippet = snippetFor(result, 'haproxy');
    assert.match(snippet, /timeout server 1h/);
    // With the timeout raised, what remains is HAProxy's own ~200 ms cork on the first event
    // (the HAProxy test above): a streaming HAProxy has http-no-delay as well.
    assertHealthy(await through(chain(`${snippet}\noption http-no-delay`), SILENCE));
  });
});
