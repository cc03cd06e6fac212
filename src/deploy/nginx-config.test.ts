import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressError, parseAddress } from './address.ts';
import { lintNginx } from './nginx-lint.ts';
import { type NginxSiteOptions, renderNginxConf, renderNginxSite } from './nginx-config.ts';
import { textSource } from './nginx-sources.ts';

const BASE: NginxSiteOptions = {
  listen: parseAddress('80', '--listen'),
  upstreams: [parseAddress('127.0.0.1:8080', '--upstream', true)],
};
const TLS: NginxSiteOptions = {
  ...BASE,
  listen: parseAddress('443', '--listen'),
  serverName: 'chat.example.com',
  tls: {
    cert: '/etc/ssl/sluice.pem',
    key: '/etc/ssl/sluice.key',
    httpListen: parseAddress('80', '--http-listen'),
  },
};

/** Directive lines only, comments and blank lines dropped. */
function directives(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe('nginx config generator', () => {
  it('streams on every route: buffering, cache and request buffering off; long timeouts', () => {
    const lines = directives(renderNginxSite(BASE));
    for (const expected of [
      'proxy_buffering off;',
      'proxy_cache off;',
      'proxy_request_buffering off;',
      'proxy_http_version 1.1;',
      'proxy_set_header Connection "";',
      'proxy_read_timeout 3600s;',
      'proxy_send_timeout 3600s;',
      'client_max_body_size 32m;',
      'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      'keepalive 32;',
    ]) {
      assert.ok(lines.includes(expected), expected);
    }
    const types = lines.find((l) => l.startsWith('gzip_types')) ?? '';
    assert.doesNotMatch(types, /event-stream|ndjson|\*/);
  });

  it('leaves out what does nothing for streaming', () => {
    const text = directives(renderNginxConf(TLS)).join('\n');
    assert.doesNotMatch(
      text,
      /tcp_nopush|tcp_nodelay|chunked_transfer_encoding|proxy_buffers|X-Accel/,
    );
  });

  it('explains every group of directives with a comment above it', () => {
    for (const text of [renderNginxConf(BASE), renderNginxConf(TLS)]) {
      const paragraphs = text.split(/\n\s*\n/).map((p) =>
        p
          .trim()
          .split('\n')
          .map((l) => l.trim()),
      );
      for (const lines of paragraphs) {
        const first = lines.find(
          (l) => !/^(server|location|http|upstream|events|types)\b.*\{$|^\}$/.test(l),
        );
        const bare =
          /^(listen|server_name|server |proxy_pass|ssl_certificate|default_type|[a-z/+-]+ [a-z ]+;$)/;
        if (first === undefined || first.startsWith('#') || bare.test(first)) continue;
        assert.fail(`no comment above: ${first}`);
      }
    }
  });

  it('lists every upstream and the listen address as given, placeholders too', () => {
    const text = renderNginxSite({
      listen: { host: '127.0.0.1', port: '{{PORT}}' },
      upstreams: [
        parseAddress('10.0.0.1:8080', '--upstream', true),
        parseAddress('[::1]:8081', '--upstream', true),
      ],
    });
    assert.match(text, /listen 127\.0\.0\.1:\{\{PORT\}\};/);
    assert.match(text, /server 10\.0\.0\.1:8080;\n\s+server \[::1\]:8081;/);
  });

  it('with TLS: HTTPS and HTTP/2 on the listen port, and a redirect that keeps the method', () => {
    const lines = directives(renderNginxSite(TLS));
    assert.ok(lines.includes('listen 443 ssl http2;'));
    assert.ok(lines.includes('ssl_certificate /etc/ssl/sluice.pem;'));
    assert.ok(lines.includes('return 308 https://$host$request_uri;'));
    const other = renderNginxSite({ ...TLS, listen: parseAddress('8443', '--listen') });
    assert.match(other, /return 308 https:\/\/\$host:8443\$request_uri;/);
  });

  it('--full wraps the same blocks in a complete nginx.conf', () => {
    const full = renderNginxConf(BASE);
    assert.match(full, /^events \{$/m);
    assert.match(full, /^http \{$/m);
    assert.match(full, /default_type application\/octet-stream;/);
    const site = directives(renderNginxSite(BASE));
    const inFull = directives(full);
    assert.ok(site.every((line) => inFull.includes(line)));
  });

  it('passes its own linter without a single finding', () => {
    for (const options of [BASE, TLS]) {
      for (const text of [renderNginxSite(options), renderNginxConf(options)]) {
        const result = lintNginx(textSource(text, 'generated.conf'));
        assert.deepEqual(result.findings, []);
        assert.equal(result.locations.length, 1);
      }
    }
  });

  it('rejects addresses nginx could not use, saying the expected form', () => {
    assert.deepEqual(parseAddress('0.0.0.0:80', '--listen'), { host: '0.0.0.0', port: '80' });
    assert.throws(() => parseAddress('70000', '--listen'), AddressError);
    assert.throws(() => parseAddress('http://x:80', '--upstream', true), /HOST:PORT/);
    assert.throws(() => parseAddress('8080', '--upstream', true), /needs a host/);
  });
});
