/**
 * `sluice nginx --lint` on the configs in test/fixtures/nginx-lint/: every finding, found where
 * nginx would apply it — through includes with globs, inherited from http and server, in nested
 * locations, from an `nginx -T` dump — and nothing found in comments or quoted strings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  diskSource,
  type Finding,
  lintNginx,
  NginxSyntaxError,
  textSource,
} from '../src/deploy/index.ts';

const FIXTURES = fileURLToPath(new URL('fixtures/nginx-lint/', import.meta.url));

/** The 1-based line of the `nth` line of `file` containing `text`. */
function lineOf(file: string, text: string, nth = 1): number {
  const lines = readFileSync(FIXTURES + file, 'utf8').split('\n');
  const matches = lines.flatMap((line, i) => (line.includes(text) ? [i + 1] : []));
  const line = matches[nth - 1];
  assert.ok(line !== undefined, `${file} has no line ${String(nth)} with ${text}`);
  return line;
}

/** `severity rule file:line`, for comparing findings at a glance. */
function summary(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.severity} ${f.rule} ${basename(f.file)}:${f.line}`);
}

function lintFixture(file: string) {
  return lintNginx(diskSource(FIXTURES + file));
}

describe('nginx linter on fixture configs', () => {
  it('follows includes by glob, inheritance from http and server, and nested locations', () => {
    const result = lintFixture('includes/nginx.conf');
    assert.deepEqual(
      result.files.map((f) => f.slice(FIXTURES.length)),
      ['includes/nginx.conf', 'includes/conf.d/a-sluice.conf', 'includes/conf.d/b-admin.conf'],
      'conf.d/*.conf in order; not-included.txt not read',
    );
    assert.deepEqual(result.locations, [
      'location /v1/ in server chat.example.com',
      'location /api/chat in location /api/ in server chat.example.com',
      'location / in server admin.example.com',
    ]);
    const main = 'includes/nginx.conf';
    const site = 'includes/conf.d/a-sluice.conf';
    const admin = 'includes/conf.d/b-admin.conf';
    assert.deepEqual(summary(result.findings), [
      `note tcp-nopush nginx.conf:${lineOf(main, 'tcp_nopush')}`,
      `note keepalive-timeout nginx.conf:${lineOf(main, 'keepalive_timeout 65')}`,
      `warning gzip-event-stream nginx.conf:${lineOf(main, 'gzip_types')}`,
      `error read-timeout nginx.conf:${lineOf(main, 'proxy_read_timeout 10s')}`,
      `warning http10-upstream a-sluice.conf:${lineOf(site, 'proxy_pass')}`,
      `note no-forwarded-for a-sluice.conf:${lineOf(site, 'proxy_pass')}`,
      `error buffering-forced a-sluice.conf:${lineOf(site, 'proxy_ignore_headers')}`,
      `note no-forwarded-for a-sluice.conf:${lineOf(site, 'proxy_pass', 2)}`,
      `note connection-close b-admin.conf:${lineOf(admin, 'proxy_pass')}`,
      `warning proxy-cache b-admin.conf:${lineOf(admin, 'proxy_cache')}`,
      `note buffer-tuning b-admin.conf:${lineOf(admin, 'proxy_buffers')}`,
      `note accel-header-misplaced b-admin.conf:${lineOf(admin, 'add_header X-Accel-Buffering')}`,
    ]);
  });

  it('names the inheritance trap: a proxy_set_header in the location drops the http-level ones', () => {
    const result = lintFixture('includes/nginx.conf');
    const lost = result.findings.find(
      (f) => f.rule === 'no-forwarded-for' && f.location?.startsWith('location /v1/') === true,
    );
    assert.match(lost?.message ?? '', /nginx\.conf:14 does not apply/);
    assert.match(lost?.message ?? '', /a-sluice\.conf:11\) inherits none/);
  });

  it('reads an `nginx -T` dump: the files it embeds, includes resolved among them', () => {
    const text = readFileSync(`${FIXTURES}nginx-T.txt`, 'utf8');
    const result = lintNginx(textSource(text, '<stdin>'));
    assert.deepEqual(result.files, ['/etc/nginx/nginx.conf', '/etc/nginx/sites-enabled/sluice']);
    assert.deepEqual(summary(result.findings), [
      'error buffering-forced sluice:10',
      'error proxy-cache sluice:11',
    ]);
    const forced = result.findings[0];
    assert.match(
      forced?.message ?? '',
      /proxy_buffering is on \(set at \/etc\/nginx\/nginx\.conf:6\)/,
    );
    assert.match(result.findings[1]?.message ?? '', /replayed/);
  });

  it('ignores what comments and quoted strings hold, and reads quoted values', () => {
    assert.deepEqual(lintFixture('quoting.conf').findings, []);
  });

  it('notes the directives that do nothing for streaming, and warns about those that hurt', () => {
    const result = lintFixture('cargo.conf');
    const at = (text: string) => `cargo.conf:${lineOf('cargo.conf', text)}`;
    assert.deepEqual(summary(result.findings), [
      `note tcp-nodelay ${at('tcp_nodelay on')}`,
      `note chunked-transfer-encoding ${at('chunked_transfer_encoding on')}`,
      `note accel-header-misplaced ${at('proxy_set_header X-Accel-Buffering')}`,
      `warning read-timeout ${at('proxy_read_timeout 25s')}`,
      `note buffer-tuning ${at('proxy_buffer_size')}`,
      `note buffer-tuning ${at('proxy_busy_buffers_size')}`,
      `warning tcp-nodelay ${at('tcp_nodelay off')}`,
      `note keepalive-timeout ${at('keepalive_timeout')}`,
      `warning hop-by-hop-header ${at('add_header Transfer-Encoding')}`,
    ]);
    assert.ok(
      !result.findings.some((f) => f.rule === 'tcp-nopush'),
      'tcp_nopush in a location that does not proxy is none of the linter’s business',
    );
  });

  it('on nginx’s defaults: warnings and notes only, each pointing at the proxy_pass', () => {
    const result = lintFixture('defaults.conf');
    const line = lineOf('defaults.conf', 'proxy_pass');
    assert.deepEqual(summary(result.findings), [
      `warning buffering-on defaults.conf:${line}`,
      `warning http10-upstream defaults.conf:${line}`,
      `note body-size defaults.conf:${line}`,
      `note no-forwarded-for defaults.conf:${line}`,
      `note read-timeout defaults.conf:${line}`,
    ]);
  });

  it('judges proxy_read_timeout against Sluice’s keepalive interval', () => {
    const site = (timeout: string) =>
      textSource(
        `server { location / { proxy_pass http://s; proxy_buffering off; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; client_max_body_size 32m; ${timeout} } }`,
        'site.conf',
      );
    const severities = (timeout: string, keepaliveMs = 15_000) =>
      lintNginx(site(timeout), { keepaliveMs }).findings.map((f) => `${f.severity} ${f.rule}`);
    assert.deepEqual(severities('proxy_read_timeout 15;'), ['error read-timeout']);
    assert.deepEqual(severities('proxy_read_timeout 20s;'), ['warning read-timeout']);
    assert.deepEqual(severities(''), ['note read-timeout']);
    assert.deepEqual(severities('proxy_read_timeout 5m;'), []);
    assert.deepEqual(severities('proxy_read_timeout 60s;', 60_000), ['error read-timeout']);
  });

  it('reports a syntax error in an included file with that file and line', () => {
    assert.throws(
      () => lintFixture('syntax/nginx.conf'),
      (error: unknown) =>
        error instanceof NginxSyntaxError &&
        basename(error.file) === 'broken.conf' &&
        error.line === lineOf('syntax/broken.conf', '}') &&
        /"proxy_pass" on line 5 needs ";"/.test(error.reason),
    );
  });

  it('says when it cannot follow an include (one file on stdin), and when nothing proxies', () => {
    const result = lintNginx(textSource('http { include sites/*.conf; }', '<stdin>'));
    assert.deepEqual(summary(result.findings), [
      'warning include-not-followed <stdin>:1',
      'warning no-proxy-location <stdin>:1',
    ]);
  });
});
