/**
 * `sluice doctor --http2` (issue 15): the doctor spoke only HTTP/1.1, so what a hop does to a
 * stream over HTTP/2 — what browsers use — went unseen. Through hops that speak HTTP/2 to the
 * client (nginx with `listen … ssl http2`, H2O), each over TLS with ALPN: the report names the
 * protocol that was negotiated, a buffering nginx is named with the fix that makes it pass over
 * HTTP/2 too, and what differs between the two protocols shows (nginx over TLS releases its
 * buffers in 16 KiB TLS records under HTTP/1.1, in 4 KiB proxy buffers under HTTP/2).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DoctorJson } from '../src/doctor/index.ts';
import { applyFix, probeArgs, runDoctor } from './support/intermediaries/doctor-run.ts';
import { startH2o } from './support/intermediaries/h2o.ts';
import { startNginxTls } from './support/intermediaries/nginx-tls.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';
import { selfSignedCertificate, type TestCertificate } from './support/tls.ts';

/** 30 events × ~600 B ≈ 18 KiB: past nginx's 4 KiB buffers and a 16 KiB TLS record. */
const PROBE = probeArgs({ events: 30, intervalMs: 50, pad: 512, silenceMs: 0 });
/** One event, then 4 s without a byte. */
const SILENT = probeArgs({ events: 3, intervalMs: 50, pad: 0, silenceMs: 4000 });

let sluice: TestSluice;
let sluicePort: number;
let certificate: TestCertificate;
before(async () => {
  sluice = await startTestSluice({ SLUICE_LOG_LEVEL: 'warn' });
  sluicePort = Number(new URL(sluice.url).port);
  certificate = await selfSignedCertificate();
});
after(() => sluice.stop());

function explain(result: DoctorJson): string {
  return result.causes.map((c) => `${c.id}: ${c.title}\n  ${c.evidence.join('\n  ')}`).join('\n');
}

/** The doctor against `url`, trusting the test certificate (--insecure: it is self-signed). */
async function doctor(url: string, ...args: string[]): Promise<DoctorJson & { code: number }> {
  const run = await runDoctor([url, '--json', '--insecure', ...args]);
  assert.ok(run.json, `doctor printed JSON:\n${run.stdout}\n${run.stderr}`);
  return { ...run.json, code: run.code };
}

describe('sluice doctor --http2 through nginx (listen … ssl http2)', () => {
  const nginx = (directives: readonly string[], http2 = true) =>
    startNginxTls({
      upstreamPort: sluicePort,
      certificate,
      http2,
      locationExtra: directives.join('\n'),
    });

  it('a buffering nginx over HTTP/2: buffered, nginx named, protocol h2; its fix passes over HTTP/2', async () => {
    const broken = ['proxy_ignore_headers X-Accel-Buffering;'];
    const hop = await nginx(broken);
    let snippet: string;
    try {
      const h2 = await doctor(hop.httpsUrl, '--http2', ...PROBE);
      assert.equal(h2.protocol, 'h2');
      assert.equal(h2.verdict, 'buffered', explain(h2));
      assert.equal(h2.causes[0]?.id, 'size-bursts', explain(h2));
      assert.ok(h2.causes[0].hops.includes('nginx'));
      assert.match(h2.causes[0].title, /4 KiB .*nginx proxy_buffer_size/);
      const fix = h2.causes[0].fixes.find((f) => f.hop === 'nginx' && f.snippet !== null);
      assert.ok(fix?.snippet);
      snippet = fix.snippet;

      // The same nginx over HTTP/1.1 and TLS: its buffers leave in 16 KiB TLS records, and the
      // cause says so in nginx's terms rather than guessing at a compressor.
      const h1 = await doctor(hop.httpsUrl, ...PROBE);
      assert.equal(h1.protocol, 'http/1.1');
      assert.equal(h1.verdict, 'buffered', explain(h1));
      const cause = h1.causes[0];
      assert.equal(cause?.id, 'size-bursts', explain(h1));
      assert.equal(cause.measures['buffer_bytes'], 16384);
      assert.match(cause.title, /nginx proxy buffering, sent on in TLS records of ssl_buffer_size/);
      assert.doesNotMatch(cause.title, /express|zlib/);
    } finally {
      await hop.stop();
    }
    const fixed = await nginx(applyFix(broken, snippet));
    try {
      const result = await doctor(fixed.httpsUrl, '--http2', ...PROBE);
      assert.equal(result.protocol, 'h2');
      assert.equal(result.verdict, 'ok', explain(result));
      assert.equal(result.code, 0);
      assert.equal(result.events, 30);
    } finally {
      await fixed.stop();
    }
  });

  it('a server that does not offer h2: measured over HTTP/1.1, and the report says so', async () => {
    const hop = await nginx(['proxy_buffering off;'], false);
    try {
      const run = await runDoctor([hop.httpsUrl, '--http2', '--insecure', ...PROBE]);
      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stdout, /^timing .* HTTP\/1\.1 · /m);
      assert.match(run.stderr, /did not agree to HTTP\/2 \(ALPN chose http\/1\.1\)/);
    } finally {
      await hop.stop();
    }
  });
});

describe('sluice doctor --http2 through H2O', () => {
  const h2o = (directives: readonly string[]) =>
    startH2o({ upstreamPort: sluicePort, tls: certificate, directives: directives.join('\n') });

  it('streams over HTTP/2 (ok, protocol h2, H2O named)', async () => {
    const hop = await h2o([]);
    try {
      const result = await doctor(hop.url, '--http2', ...PROBE);
      assert.equal(result.protocol, 'h2');
      assert.equal(result.verdict, 'ok', explain(result));
      assert.deepEqual(result.hops, ['h2o']);
      assert.equal(result.headers['transfer-encoding'], undefined, 'HTTP/2 frames the body itself');
    } finally {
      await hop.stop();
    }
  });

  it('a cut over HTTP/2 (proxy.timeout.io): idle cut, H2O named; its fix passes over HTTP/2', async () => {
    const broken = ['proxy.timeout.io: 2000'];
    const hop = await h2o(broken);
    let snippet: string | null | undefined;
    try {
      const result = await doctor(hop.url, '--http2', ...SILENT);
      assert.equal(result.protocol, 'h2');
      assert.equal(result.verdict, 'cut', explain(result));
      assert.equal(result.causes[0]?.id, 'idle-cut', explain(result));
      assert.equal(result.events, 1, 'cut inside the silence');
      assert.ok(result.causes[0].hops.includes('h2o'));
      snippet = result.causes[0].fixes.find((f) => f.hop === 'h2o')?.snippet;
    } finally {
      await hop.stop();
    }
    assert.equal(snippet, 'proxy.timeout.io: 3600000');
    const fixed = await h2o(applyFix(broken, snippet));
    try {
      const result = await doctor(fixed.url, '--http2', ...SILENT);
      assert.equal(result.verdict, 'ok', explain(result));
      assert.equal(result.events, 3);
    } finally {
      await fixed.stop();
    }
  });
});

describe('sluice doctor --http2 over plain http (prior knowledge)', () => {
  it("a server that speaks no cleartext HTTP/2 (Sluice's own): unreachable, and why", async () => {
    const run = await runDoctor([sluice.url, '--json', '--http2', ...SILENT]);
    assert.equal(run.code, 1);
    assert.equal(run.json?.verdict, 'unreachable');
    const evidence = run.json.causes[0]?.evidence.join('\n') ?? '';
    assert.match(evidence, /does not speak HTTP\/2 without TLS \(h2c\)/);
  });
});
