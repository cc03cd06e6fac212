/**
 * What the probe reflects about a request: only the named hop headers, never credentials,
 * addresses as their kind, names as they were spelt, everything bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKind, requestView } from './hop-headers.ts';
import { REFLECTION_LIMITS } from './request-view.ts';

const request = (rawHeaders: string[], httpVersion = '1.1') => ({ httpVersion, rawHeaders });

describe('requestView', () => {
  it('reflects the hop headers and the HTTP version, never credentials or other headers', () => {
    const view = requestView(
      // prettier-ignore
      request(
        [
          'Host', 'chat.example.com',
          'Authorization', 'Bearer sk-sluice-secret',
          'Cookie', 'sluice_session=secret',
          'X-Api-Key', 'sk-secret',
          'Proxy-Authorization', 'Basic c2VjcmV0',
          'X-Forwarded-Proto', 'https',
          'Via', '1.1 varnish (Varnish/7.1)',
          'CDN-Loop', 'cloudflare',
          'User-Agent', 'sluice-doctor',
          'x-Sluice-doctor', 'abc123',
        ],
        '1.0',
      ),
    );
    assert.equal(view.http_version, '1.0');
    assert.deepEqual(view.headers, {
      'x-forwarded-proto': 'https',
      via: '1.1 varnish (Varnish/7.1)',
      'cdn-loop': 'cloudflare',
    });
    const all = JSON.stringify(view);
    assert.doesNotMatch(all, /secret|c2VjcmV0|authorization|cookie|api-key/i);
    assert.equal(view.doctor, 'abc123');
    assert.deepEqual(view.spelling, {
      host: 'Host',
      'x-forwarded-proto': 'X-Forwarded-Proto',
      via: 'Via',
      'cdn-loop': 'CDN-Loop',
      'x-sluice-doctor': 'x-Sluice-doctor',
    });
  });

  it('keeps how names were spelt: a hop that lower-cases them shows', () => {
    const view = requestView(request(['host', '127.0.0.1:8080', 'x-sluice-doctor', 'tok']));
    assert.equal(view.spelling['host'], 'host');
    assert.equal(view.spelling['x-sluice-doctor'], 'x-sluice-doctor');
  });

  it('replaces addresses with their kind: X-Forwarded-For, X-Real-IP, Forwarded, Via', () => {
    const view = requestView(
      // prettier-ignore
      request([
        'X-Forwarded-For', '203.0.113.7, 10.0.0.3, 127.0.0.1',
        'X-Forwarded-For', '[2001:db8::1]:443',
        'X-Real-IP', '192.168.1.20',
        'Forwarded', 'for=192.0.2.60;proto=http;by=203.0.113.43, for="[fe80::1]";host=example.com',
        'Via', '1.1 10.1.2.3:3128 (squid/5.7), 1.1 proxy.internal',
        'CF-Connecting-IP', 'not-an-address',
        'True-Client-IP', '_hidden',
      ]),
    );
    assert.equal(view.headers['x-forwarded-for'], 'public, private, loopback, public');
    assert.equal(view.headers['x-real-ip'], 'private');
    assert.equal(
      view.headers['forwarded'],
      'for=public;proto=http;by=public, for=link-local;host=example.com',
    );
    assert.equal(view.headers['via'], '1.1 private (squid/5.7), 1.1 proxy.internal');
    assert.equal(view.headers['cf-connecting-ip'], 'unknown');
    assert.equal(view.headers['true-client-ip'], 'obfuscated');
    assert.doesNotMatch(JSON.stringify(view), /203\.0|10\.0|192\.|2001:|fe80|10\.1/);
  });

  it('bounds every value, the families and the number of headers', () => {
    const long = 'x'.repeat(5000);
    const raw = ['X-Forwarded-Host', long];
    for (let i = 0; i < 10; i++) raw.push(`Fastly-Header-${i}`, 'v');
    const many = Array.from({ length: 40 }, (_, i) => i).join(', ');
    raw.push('X-Forwarded-For', many);
    const view = requestView(request(raw));
    assert.equal(view.headers['x-forwarded-host']?.length, REFLECTION_LIMITS.valueChars);
    const fastly = Object.keys(view.headers).filter((n) => n.startsWith('fastly-'));
    assert.equal(fastly.length, REFLECTION_LIMITS.perFamily);
    assert.equal(view.omitted, 10 - REFLECTION_LIMITS.perFamily);
    assert.match(view.headers['x-forwarded-for'] ?? '', /… 24 more$/);

    const flood: string[] = [];
    for (const name of ['Via', 'X-Forwarded-Proto', 'X-Forwarded-Port', 'X-Request-Id']) {
      for (let i = 0; i < 100; i++) flood.push(name, long);
    }
    assert.ok(JSON.stringify(requestView(request(flood))).length < 8 * 1024);
  });

  it('echoes only a token that looks like one', () => {
    assert.equal(requestView(request(['x-Sluice-doctor', 'ok_token-1'])).doctor, 'ok_token-1');
    assert.equal(requestView(request(['x-Sluice-doctor', '<script>'])).doctor, undefined);
    assert.equal(requestView(request(['x-Sluice-doctor', 'a'.repeat(65)])).doctor, undefined);
  });
});

describe('addressKind', () => {
  it('classifies loopback, private, link-local and public addresses, v4 and v6', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['10.2.3.4', 'private'],
      ['172.20.0.1', 'private'],
      ['100.64.1.1', 'private'],
      ['fd00::5', 'private'],
      ['169.254.1.1', 'link-local'],
      ['8.8.8.8', 'public'],
      ['"[2606:4700::1111]:443"', 'public'],
      ['198.51.100.1:8080', 'public'],
      ['unknown', 'unknown'],
      ['_gazonk', 'obfuscated'],
    ];
    for (const [token, kind] of cases) assert.equal(addressKind(token), kind, token);
  });
});
