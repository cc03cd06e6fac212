/**
 * `sluice doctor` through a forward proxy that names itself nowhere: Debian's mitmproxy, as the
 * HTTP_PROXY (and HTTPS_PROXY) the team in DESIGN.md's story goes out through. It adds no Via and
 * holds every response whole by default, so before, the doctor said "no hop seen on the request:
 * the doctor reached Sluice directly" and blamed no one — though it had itself gone through the
 * proxy. Now the proxy it went through is a hop on the path, the suspect, with mitmproxy's fix;
 * pasted in, the doctor passes. A CONNECT tunnel that does not intercept TLS is no suspect.
 *
 * The scenarios run one after another, for the reason doctor-hops.test.ts gives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DoctorJson } from '../src/doctor/index.ts';
import { probeArgs, runDoctor } from './support/intermediaries/doctor-run.ts';
import { startMitmproxy, type TestMitmproxy } from './support/intermediaries/mitmproxy.ts';
import { startNginxTls, type TestNginxTls } from './support/intermediaries/nginx-tls.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';
import { selfSignedCertificate } from './support/tls.ts';

/** 30 events × ~600 B ≈ 18 KiB. */
const PROBE = probeArgs({ events: 30, intervalMs: 50, pad: 512, silenceMs: 0 });
const FIX = '--set stream_large_bodies=1';

let sluice: TestSluice;
let tlsFront: TestNginxTls;
before(async () => {
  sluice = await startTestSluice({ SLUICE_LOG_LEVEL: 'warn' });
  tlsFront = await startNginxTls({
    upstreamPort: Number(new URL(sluice.url).port),
    certificate: await selfSignedCertificate(),
    http2: false,
    locationExtra: 'proxy_buffering off;',
  });
});
after(async () => {
  await tlsFront.stop();
  await sluice.stop();
});

type Result = DoctorJson & { code: number };

/** The doctor at `url` through a mitmproxy started with `settings`, stopped after. */
async function through(
  settings: readonly string[],
  url: (proxy: TestMitmproxy) => string[],
): Promise<Result> {
  const proxy = await startMitmproxy(settings);
  try {
    // With a user and password in it, as a corporate proxy's often has: never shown.
    const withCredentials = proxy.url.replace('http://', 'http://ada:hunter2@');
    const env = { HTTP_PROXY: withCredentials, HTTPS_PROXY: withCredentials };
    const run = await runDoctor([...url(proxy), '--json', ...PROBE], undefined, env);
    assert.ok(run.json, `doctor printed JSON:\n${run.stdout}\n${run.stderr}`);
    assert.doesNotMatch(run.stdout + run.stderr, /hunter2/);
    return { ...run.json, code: run.code };
  } finally {
    await proxy.stop();
  }
}

function explain(result: DoctorJson): string {
  return result.causes.map((c) => `${c.id}: ${c.title}\n  ${c.evidence.join('\n  ')}`).join('\n');
}

/** Given as its command line takes it: `--set a=b` → `a=b`. */
function settingOf(snippet: string): string {
  const match = /^--set (\S+)$/.exec(snippet);
  assert.ok(match?.[1], `a --set option: ${snippet}`);
  return match[1];
}

function fixFor(result: DoctorJson): string {
  const fix = result.causes[0]?.fixes.find((f) => f.hop === 'forward-proxy');
  assert.ok(fix?.snippet, `a fix for the forward proxy:\n${explain(result)}`);
  return fix.snippet;
}

describe('doctor through a forward proxy that names itself nowhere (mitmproxy)', () => {
  it('as the HTTP_PROXY it holds the whole stream: fully buffered, the proxy suspected, its fix passes', async () => {
    const held = await through([], () => [sluice.url]);
    assert.equal(held.verdict, 'buffered', explain(held));
    const cause = held.causes[0];
    assert.equal(cause?.id, 'fully-buffered');
    assert.deepEqual(cause.hops, ['forward-proxy']);
    assert.equal(cause.suspected, true);
    assert.match(cause.suspect ?? '', /the forward proxy http:\/\/127\.0\.0\.1:\d+/);
    assert.ok(held.path, 'a probe shows the path');
    assert.equal(held.path.at_least, 1, 'the proxy is a hop on the path');
    assert.match(held.path.silent[0]?.evidence ?? '', /no Via/);
    const snippet = fixFor(held);
    assert.equal(snippet, FIX);

    const fixed = await through([settingOf(snippet)], () => [sluice.url]);
    assert.equal(fixed.verdict, 'ok', explain(fixed));
    assert.equal(fixed.events, fixed.expected_events);
  });

  it('as the HTTPS_PROXY intercepting TLS: the same, named by its certificate; its fix passes', async () => {
    const https = (proxy: TestMitmproxy) => [tlsFront.httpsUrl, '--cacert', proxy.caCert];
    const held = await through([], https);
    assert.equal(held.verdict, 'buffered', explain(held));
    // nginx in front of Sluice names itself too: a suspect behind the proxy, listed second.
    assert.deepEqual(held.causes[0]?.hops, ['forward-proxy', 'nginx']);
    assert.match(
      held.path?.silent[0]?.evidence ?? '',
      /TLS intercepted: certificate issued by mitmproxy/,
    );
    assert.ok(held.causes.some((c) => c.id === 'tls-inspection'));
    const fixed = await through([settingOf(fixFor(held))], https);
    assert.equal(fixed.verdict, 'ok', explain(fixed));
  });

  it('a CONNECT tunnel that does not intercept TLS is not a hop for the stream', async () => {
    // ignore_hosts: mitmproxy relays the tunnel's bytes without reading them.
    const tunnel = await through(['ignore_hosts=.*', 'stream_large_bodies=1'], () => [
      tlsFront.httpsUrl,
      '--insecure',
    ]);
    assert.equal(tunnel.verdict, 'ok', explain(tunnel));
    assert.equal(tunnel.path?.silent.length, 0, JSON.stringify(tunnel.path));
  });
});
