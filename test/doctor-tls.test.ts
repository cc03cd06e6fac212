/**
 * `sluice doctor` against an https URL whose certificate this machine does not trust (issue 15).
 * It used to say `unreachable: DEPTH_ZERO_SELF_SIGNED_CERT` with an empty fix. Now the cause names
 * the certificate problem, shows the certificate, and says how to measure anyway: `--cacert FILE`
 * (trusted beside the system's CAs) or `--insecure` (measured, and said so). Nothing is sent to a
 * server that did not verify: nginx's access log proves the request never arrived.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { startNginxTls, type TestNginxTls } from './support/intermediaries/nginx-tls.ts';
import { probeArgs, runDoctor } from './support/intermediaries/doctor-run.ts';
import { makeScratchDir, type ScratchDir } from './support/scratch-dir.ts';
import { waitForText } from './support/wait-for-text.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';
import { startTinyproxy } from './support/tinyproxy.ts';
import { selfSignedCertificate, type TestCertificate } from './support/tls.ts';

const SMALL = probeArgs({ events: 10, intervalMs: 50, pad: 64, silenceMs: 0 });

let sluice: TestSluice;
let nginx: TestNginxTls;
let certificate: TestCertificate;
let files: ScratchDir;
before(async () => {
  sluice = await startTestSluice({ SLUICE_LOG_LEVEL: 'warn' });
  certificate = await selfSignedCertificate();
  nginx = await startNginxTls({
    upstreamPort: Number(new URL(sluice.url).port),
    certificate,
    http2: false,
    locationExtra: 'proxy_buffering off;',
  });
  files = await makeScratchDir('doctor-tls');
  await writeFile(files.file('cert.pem'), certificate.cert);
  await writeFile(files.file('not-a-cert.pem'), 'hello\n');
});
after(async () => {
  await nginx.stop();
  await files.remove();
  await sluice.stop();
});

describe('sluice doctor: a certificate this machine does not trust', () => {
  it('names the problem, shows the certificate and says how to measure anyway', async () => {
    const run = await runDoctor([nginx.httpsUrl, '--json', ...SMALL]);
    assert.equal(run.code, 1);
    const json = run.json;
    assert.ok(json, run.stdout);
    assert.equal(json.verdict, 'unreachable');
    const cause = json.causes[0];
    assert.equal(cause?.id, 'untrusted-certificate');
    assert.match(cause.title, /self-signed/);
    assert.ok(cause.evidence.some((e) => e.includes('DEPTH_ZERO_SELF_SIGNED_CERT')));
    assert.ok(
      cause.evidence.some((e) => e.includes('IP Address:127.0.0.1')),
      'its names',
    );
    assert.match(cause.fix, /--cacert FILE/);
    assert.match(cause.fix, /--insecure/);
    assert.equal(json.end.kind, 'unreachable');
    assert.equal(json.protocol, null, 'no HTTP was spoken');

    const text = await runDoctor([nginx.httpsUrl, ...SMALL]);
    assert.match(text.stdout, /^verdict {3}UNREACHABLE: untrusted certificate: /m);
    assert.match(text.stdout, /--cacert FILE/);
  });

  it('--cacert FILE trusts it: the stream is measured (ok), the first request nginx ever saw', async () => {
    const run = await runDoctor([
      nginx.httpsUrl,
      '--json',
      '--cacert',
      files.file('cert.pem'),
      ...SMALL,
    ]);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.json?.verdict, 'ok');
    assert.equal(run.json.protocol, 'http/1.1');
    assert.ok(run.json.hops.includes('nginx'));
    // nginx logs a request when it is done with it, in order: once this one shows, any request
    // sent by the untrusted runs above would show before it. None does.
    const log = await waitForText(() => nginx.accessLog(), /sluice\/probe/);
    assert.equal(log.match(/sluice\/probe/g)?.length, 1, log);
  });

  it('--insecure measures anyway and says the certificate did not verify', async () => {
    const run = await runDoctor([nginx.httpsUrl, '--insecure', ...SMALL]);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /^verdict {3}OK: /m);
    assert.match(
      run.stderr,
      /certificate does not verify \(DEPTH_ZERO_SELF_SIGNED_CERT\): measured anyway/,
    );
  });

  it('a name the certificate is not for: wrong name, the names it has, and the fix', async () => {
    // The certificate is for IP 127.0.0.1 only; "localhost" reaches the same nginx.
    const url = nginx.httpsUrl.replace('127.0.0.1', 'localhost');
    const run = await runDoctor([url, '--json', '--cacert', files.file('cert.pem'), ...SMALL]);
    assert.equal(run.code, 1);
    const cause = run.json?.causes[0];
    assert.equal(cause?.id, 'untrusted-certificate');
    assert.ok(cause.evidence.some((e) => e.includes('ERR_TLS_CERT_ALTNAME_INVALID')));
    assert.match(cause.title, /issued for IP Address:127\.0\.0\.1, not this host/);
    assert.match(cause.fix, /not localhost:\d+/);
  });

  it('through an HTTPS_PROXY: a CONNECT tunnel, the certificate checked end to end', async () => {
    const proxy = await startTinyproxy();
    try {
      const env = { HTTPS_PROXY: proxy.url };
      const refused = await runDoctor([nginx.httpsUrl, '--json', ...SMALL], undefined, env);
      assert.equal(refused.json?.causes[0]?.id, 'untrusted-certificate');
      const run = await runDoctor(
        [nginx.httpsUrl, '--cacert', files.file('cert.pem'), ...SMALL],
        undefined,
        env,
      );
      assert.equal(run.code, 0, run.stdout);
      assert.match(run.stderr, new RegExp(`through the proxy ${proxy.url}`));
      assert.match(proxy.log(), new RegExp(`CONNECT 127\\.0\\.0\\.1:${nginx.port} `));
    } finally {
      await proxy.stop();
    }
  });

  it('bad --cacert and --insecure use are usage errors (exit 2), before any request', async () => {
    const cases: [string[], RegExp][] = [
      [['--cacert', files.file('missing.pem')], /--cacert: cannot read .*ENOENT/],
      [['--cacert', files.file('not-a-cert.pem')], /holds no PEM certificate/],
      [['--cacert', files.file('cert.pem'), '--insecure'], /give one or the other/],
    ];
    for (const [args, message] of cases) {
      const run = await runDoctor([nginx.httpsUrl, ...args]);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
      assert.equal(run.timelines.length, 0, 'nothing was requested');
    }
  });
});
