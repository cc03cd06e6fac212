/**
 * Smoke tests for the helpers that start real intermediaries from Debian: each one must relay a
 * request to a local server, leave proof in its own log, and be gone after stop().
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ProxyAgent, request } from 'undici';
import { withHostLock } from './container/host-lock.ts';
import { proxyServerBlock, startNginx } from './nginx.ts';
import { livingInGroup, startProcess } from './process.ts';
import { startSocks } from './socks.ts';
import { startTinyproxy } from './tinyproxy.ts';
import { waitForText } from './wait-for-text.ts';

/** A plain origin that answers with the path it was asked for. */
async function startOrigin(): Promise<number> {
  const server = createServer((req, res) => {
    res.end(`origin saw ${req.url ?? ''}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** Neither the process nor anything in its process group (workers, children) still runs. */
function assertGone(pid: number): void {
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  assert.deepEqual(livingInGroup(pid), []);
}

test('nginx proxies to a local server and stop() leaves no process', async () => {
  const originPort = await startOrigin();
  const nginx = await startNginx({
    serverBlock: proxyServerBlock({
      upstreamPort: originPort,
      locationExtra: 'proxy_buffering off;',
    }),
  });
  after(() => nginx.stop());

  const res = await request(`${nginx.url}/through-nginx`);
  assert.equal(res.statusCode, 200);
  assert.equal(await res.body.text(), 'origin saw /through-nginx');
  await waitForText(() => nginx.accessLog(), '"GET /through-nginx HTTP/1.1" 200');

  await nginx.stop();
  assertGone(nginx.pid);
});

test('nginx -t failures carry nginx’s own message', async () => {
  await assert.rejects(
    startNginx({ serverBlock: 'server { listen 127.0.0.1:{{PORT}}; no_such_directive on; }' }),
    /nginx -t rejected[\s\S]*unknown directive "no_such_directive"/,
  );
});

test('tinyproxy relays plain HTTP and CONNECT, and logs both', async () => {
  const originPort = await startOrigin();
  const proxy = await startTinyproxy();
  after(() => proxy.stop());

  const forward = new ProxyAgent({ uri: proxy.url });
  after(() => forward.close());
  const res = await request(`http://127.0.0.1:${originPort}/plain`, { dispatcher: forward });
  assert.equal(await res.body.text(), 'origin saw /plain');
  await waitForText(() => proxy.log(), `GET http://127.0.0.1:${originPort}/plain HTTP/1.1`);

  // What HTTPS would use; proxyTunnel forces it for a plain origin, so no certificate is needed.
  const tunnel = new ProxyAgent({ uri: proxy.url, proxyTunnel: true });
  after(() => tunnel.close());
  const tunnelled = await request(`http://127.0.0.1:${originPort}/tunnel`, { dispatcher: tunnel });
  assert.equal(await tunnelled.body.text(), 'origin saw /tunnel');
  await waitForText(() => proxy.log(), `CONNECT 127.0.0.1:${originPort} HTTP/1.1`);

  await proxy.stop();
  assertGone(proxy.pid);
});

test('the SOCKS5 proxy relays a request and logs its destination port', async () => {
  const originPort = await startOrigin();
  const socks = await startSocks();
  after(() => socks.stop());

  const agent = new ProxyAgent({ uri: socks.url });
  after(() => agent.close());
  const res = await request(`http://127.0.0.1:${originPort}/through-socks`, { dispatcher: agent });
  assert.equal(await res.body.text(), 'origin saw /through-socks');
  // dante writes address.port: `tcp/connect [: client proxy -> bound 127.0.0.1.ORIGINPORT`
  await waitForText(
    () => socks.log(),
    new RegExp(String.raw`tcp/connect \[: .* -> \S+ 127\.0\.0\.1\.${originPort}\b`),
  );

  await socks.stop();
  assertGone(socks.pid);
});

test('a missing binary names the Debian package to install', async () => {
  await assert.rejects(
    startProcess('/nonexistent/sbin/danted', [], { name: 'danted' }),
    /danted: \/nonexistent\/sbin\/danted is not installed; install the Debian package: apt-get install dante-server/,
  );
});

test('a child that exits before listening fails fast with its output', async () => {
  const started = Date.now();
  await assert.rejects(
    startProcess('/bin/sh', ['-c', 'echo broken config >&2; exit 3'], {
      name: 'broken',
      readyPort: 1,
    }),
    /broken did not become ready: broken exited \(code 3\) before listening[\s\S]*broken config/,
  );
  assert.ok(Date.now() - started < 5_000);
});

test('withHostLock: held while the work runs (another flock is refused), free after', async () => {
  const file = join(tmpdir(), 'sluice-test-support-test.lock');
  const tryLock = () => spawnSync('flock', ['-n', file, 'true']).status;
  const during = await withHostLock('support-test', () => Promise.resolve(tryLock()));
  assert.equal(during, 1, 'flock -n fails while the lock is held');
  assert.equal(tryLock(), 0, 'and succeeds once it is released');
});
