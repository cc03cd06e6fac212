/**
 * Streams that never became streams, read from timelines without sockets: a certificate that
 * did not verify names its problem and the way to measure anyway (issue 15); other connection
 * failures say what their code usually means.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CertificateSummary } from './certificate.ts';
import { classify } from './classify.ts';
import { failureFinding } from './failures.ts';
import { fixSummary } from './fixes.ts';
import type { StreamEnd, Timeline } from './timeline.ts';

const SELF_SIGNED: CertificateSummary = {
  subject: 'chat.example.com',
  issuer: 'chat.example.com',
  validFrom: 'Dec  1 00:00:00 2026 GMT',
  validTo: 'Dec  2 00:00:00 2026 GMT',
  names: ['DNS:chat.example.com'],
  error: 'DEPTH_ZERO_SELF_SIGNED_CERT',
};

function failed(url: string, end: StreamEnd, extra: Partial<Timeline> = {}): Timeline {
  return {
    url,
    mode: 'probe',
    probe: { events: 30, intervalMs: 100, pad: 512, silenceMs: 0 },
    startedEpochMs: 0,
    phases: { connectMs: 1 },
    headers: {},
    reads: [],
    events: [],
    comments: [],
    end,
    ...extra,
  };
}

const untrusted = (code: string, certificate?: CertificateSummary): Timeline =>
  failed(
    'https://chat.example.com/sluice/probe',
    { kind: 'unreachable', t: 20, code },
    certificate === undefined ? {} : { certificate: { ...certificate, error: code } },
  );

describe('failures: certificates', () => {
  it('a self-signed certificate: its own cause and verdict unreachable, with --cacert and --insecure', () => {
    const diagnosis = classify(untrusted('DEPTH_ZERO_SELF_SIGNED_CERT', SELF_SIGNED));
    assert.equal(diagnosis.verdict, 'unreachable');
    const cause = diagnosis.causes[0];
    assert.equal(cause?.id, 'untrusted-certificate');
    assert.equal(cause.severity, 'problem');
    assert.match(
      cause.title,
      /^untrusted certificate: chat\.example\.com's certificate is self-signed/,
    );
    assert.ok(cause.evidence.some((e) => e.includes('DEPTH_ZERO_SELF_SIGNED_CERT')));
    assert.ok(cause.evidence.some((e) => e.includes('issued by chat.example.com')));
    const fix = fixSummary(cause.fixes);
    assert.match(fix, /--cacert FILE/);
    assert.match(fix, /--insecure/);
    assert.match(fix, /NODE_EXTRA_CA_CERTS/);
  });

  it('each kind of certificate problem gets its own title and fix', () => {
    const cases: [string, RegExp, RegExp][] = [
      ['SELF_SIGNED_CERT_IN_CHAIN', /self-signed/, /--cacert FILE/],
      ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', /which this machine does not trust/, /full chain/],
      ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', /private CA/, /--cacert FILE/],
      ['CERT_HAS_EXPIRED', /expired on Dec {2}2 00:00:00 2026 GMT/, /Renew the certificate/],
      ['CERT_NOT_YET_VALID', /not valid yet/, /clock/],
      [
        'ERR_TLS_CERT_ALTNAME_INVALID',
        /issued for DNS:chat\.example\.com, not this host/,
        /not chat\.example\.com/,
      ],
      ['CERT_REVOKED', /rejected/, /openssl s_client/],
    ];
    for (const [code, title, fix] of cases) {
      const finding = failureFinding(untrusted(code, SELF_SIGNED));
      assert.equal(finding?.id, 'untrusted-certificate', code);
      assert.match(finding.title, title, code);
      assert.deepEqual(finding.fixKinds, ['certificate']);
      const cause = classify(untrusted(code, SELF_SIGNED)).causes[0];
      assert.match(fixSummary(cause?.fixes ?? []), fix, code);
    }
  });

  it('without the certificate (a recorded timeline from before), the code alone still says it', () => {
    const cause = classify(untrusted('CERT_HAS_EXPIRED')).causes[0];
    assert.equal(cause?.id, 'untrusted-certificate');
    assert.match(cause.title, /certificate is expired$/);
  });
});

describe('failures: other connection failures', () => {
  it('refused connections stay "unreachable", with no certificate talk', () => {
    const finding = failureFinding(
      failed('http://127.0.0.1:1/sluice/probe', {
        kind: 'unreachable',
        t: 1,
        code: 'ECONNREFUSED',
      }),
    );
    assert.equal(finding?.id, 'unreachable');
    assert.equal(finding.title, 'unreachable: ECONNREFUSED');
    assert.deepEqual(finding.fixKinds, []);
  });

  it('--http2 over plain http to a server without h2c, a refused CONNECT, https to a plain port: the evidence says what it means', () => {
    const h2c = failureFinding(
      failed('http://127.0.0.1:8080/sluice/probe', {
        kind: 'unreachable',
        t: 2,
        code: 'ERR_HTTP2_ERROR',
        message: 'Protocol error',
      }),
    );
    assert.ok(h2c?.evidence.some((e) => e.includes('does not speak HTTP/2 without TLS (h2c)')));
    const tunnel = failureFinding(
      failed('https://chat.example.com/sluice/probe', {
        kind: 'unreachable',
        t: 2,
        code: 'ERR_PROXY_TUNNEL',
        message: 'the proxy answered 403 to CONNECT chat.example.com:443',
      }),
    );
    assert.ok(tunnel?.evidence.some((e) => e.includes('refused the tunnel')));
    const plain = failureFinding(
      failed('https://127.0.0.1:8080/sluice/probe', {
        kind: 'unreachable',
        t: 2,
        code: 'ERR_SSL_WRONG_VERSION_NUMBER',
      }),
    );
    assert.ok(plain?.evidence.some((e) => e.includes('serving plain HTTP (try http://)')));
  });
});
