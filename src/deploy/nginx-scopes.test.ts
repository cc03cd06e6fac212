import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effective, effectiveList, proxyLocations, rootScope } from './nginx-scopes.ts';
import { parseNginx } from './nginx-syntax.ts';

const CONFIG = `http {
  proxy_buffering on;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  server {
    server_name chat.example.com;
    proxy_read_timeout 30s;
    location /v1/ {
      proxy_pass http://sluice;
      proxy_buffering off;
    }
    location /api/ {
      proxy_set_header Host $host;
      location /api/chat {
        proxy_pass http://sluice;
        proxy_read_timeout 1h;
      }
      if ($http_upgrade) {
        proxy_pass http://ws;
      }
    }
    location /static/ {
      root /srv;
    }
  }
  upstream sluice { server 127.0.0.1:8080; }
}
events { }
`;

describe('nginx scopes', () => {
  const locations = proxyLocations(rootScope(parseNginx(CONFIG, 'nginx.conf')));
  const byLabel = new Map(locations.map((l) => [l.label, l]));

  it('finds every location (and if) that proxies, nested ones included', () => {
    assert.deepEqual(
      [...byLabel.keys()],
      [
        'location /v1/ in server chat.example.com',
        'location /api/chat in location /api/ in server chat.example.com',
        'if ($http_upgrade) in location /api/ in server chat.example.com',
      ],
    );
  });

  it('takes each setting from the innermost scope that sets it', () => {
    const v1 = byLabel.get('location /v1/ in server chat.example.com')!;
    const chat = byLabel.get('location /api/chat in location /api/ in server chat.example.com')!;
    assert.equal(effective(v1.scope, 'proxy_buffering')?.args[0], 'off');
    assert.equal(effective(chat.scope, 'proxy_buffering')?.line, 2, 'from http { }');
    assert.equal(effective(v1.scope, 'proxy_read_timeout')?.args[0], '30s', 'from server { }');
    assert.equal(effective(chat.scope, 'proxy_read_timeout')?.args[0], '1h');
    assert.equal(effective(v1.scope, 'gzip'), undefined, 'never set: the default applies');
  });

  it('inherits proxy_set_header only into scopes that set none of their own', () => {
    const v1 = byLabel.get('location /v1/ in server chat.example.com')!;
    const chat = byLabel.get('location /api/chat in location /api/ in server chat.example.com')!;
    assert.deepEqual(
      effectiveList(v1.scope, 'proxy_set_header').map((d) => d.args[0]),
      ['X-Forwarded-For'],
    );
    assert.deepEqual(
      effectiveList(chat.scope, 'proxy_set_header').map((d) => d.args[0]),
      ['Host'],
      "/api/'s own Host header replaces the http-level X-Forwarded-For",
    );
  });
});
