/**
 * The config `sluice nginx` prints, run by a real nginx (Debian's) in front of a real Sluice:
 * streams pass event by event (proved by cause and effect, not clocks), the client's address
 * reaches Sluice, uploads are passed on as they arrive, and nginx itself accepts the complete
 * nginx.conf, with and without TLS. Then the linter's verdicts are held against the same nginx:
 * what it calls an error holds a stream back, what it only warns about does not.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { nginx as nginxCommand } from '../src/cli/nginx.ts';
import { lintNginx, parseAddress, renderNginxSite, textSource } from '../src/deploy/index.ts';
import { pacedByClient } from './support/causality.ts';
import {
  deferred,
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { proxyServerBlock, startNginx, type TestNginx } from './support/nginx.ts';
import { freePort } from './support/ports.ts';
import { makeScratchDir } from './support/scratch-dir.ts';
import { sluiceFor, type TestSluice } from './support/sluice.ts';
import { postStream } from './support/sse-client.ts';
import { selfSignedCertificate, type TestCertificate } from './support/tls.ts';
import { waitFor } from './support/wait.ts';

const LISTEN = { host: '127.0.0.1', port: '{{PORT}}' };

let upstream: FakeUpstream;
let sluice: TestSluice;

before(async () => {
  upstream = await startFakeUpstream();
  sluice = await sluiceFor(upstream.origin, { SLUICE_TRUSTED_PROXIES: '127.0.0.1' });
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});

/** The generated blocks, as `sluice nginx` prints them, in front of `port`. */
function generated(port: number | string): string {
  return renderNginxSite({
    listen: LISTEN,
    upstreams: [parseAddress(`127.0.0.1:${String(port)}`, '--upstream', true)],
  });
}

async function withNginx(serverBlock: string, run: (nginx: TestNginx) => Promise<void>) {
  const nginx = await startNginx({ serverBlock });
  try {
    await run(nginx);
  } finally {
    await nginx.stop();
  }
}

/** 8 events paced by the client's acknowledgements; per event, whether it passed in time. */
async function pacedThrough(url: string, headers: Record<string, string> = {}) {
  const paced = pacedByClient(8);
  upstream.script(paced.script);
  const stream = await postStream(
    `${url}/v1/chat/completions`,
    { model: 'm', messages: [], stream: true },
    headers,
  );
  for await (const event of stream.events) if (event.data !== undefined) paced.ack(event.data);
  return { delivered: await paced.delivered, headers: stream.headers, raw: stream.raw() };
}

const sluicePort = () => new URL(sluice.url).port;

describe('the generated nginx config, in front of a real Sluice', () => {
  it('passes every event before the next is sent, uncompressed', async () => {
    await withNginx(generated(sluicePort()), async (nginx) => {
      const { delivered, headers, raw } = await pacedThrough(nginx.url, {
        'accept-encoding': 'gzip, br',
      });
      assert.deepEqual(delivered, Array(8).fill(true));
      assert.equal(headers.get('content-encoding'), null, 'event streams are never gzipped');
      assert.match(headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.match(raw, /data: \[DONE\]\n\n$/);
    });
  });

  it('forwards the client address: Sluice records it from X-Forwarded-For', async () => {
    await withNginx(generated(sluicePort()), async (nginx) => {
      // As if a trusted hop (127.0.0.1, in SLUICE_TRUSTED_PROXIES) had forwarded a client.
      const { delivered } = await pacedThrough(nginx.url, { 'x-forwarded-for': '203.0.113.7' });
      assert.deepEqual(delivered, Array(8).fill(true));
      await waitFor(() => sluice.logs.some((l) => l.msg === 'request' && l.ip === '203.0.113.7'), {
        what: 'a request record with the client address',
      });
    });
  });

  it('sets Host, X-Real-IP, X-Forwarded-For and X-Forwarded-Proto for the upstream', async () => {
    const seen = deferred<IncomingHttpHeaders>();
    const server = createServer((req, res) => {
      seen.resolve(req.headers);
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      await withNginx(generated((server.address() as AddressInfo).port), async (nginx) => {
        const response = await fetch(`${nginx.url}/healthz`, {
          headers: { 'x-forwarded-for': '198.51.100.4' },
        });
        assert.equal(await response.text(), 'ok');
        const headers = await seen.promise;
        assert.equal(headers.host, '127.0.0.1');
        assert.equal(headers['x-real-ip'], '127.0.0.1');
        assert.equal(headers['x-forwarded-for'], '198.51.100.4, 127.0.0.1');
        assert.equal(headers['x-forwarded-proto'], 'http');
        assert.equal(headers.connection, undefined, 'keep-alive to the upstream: no "close"');
      });
    } finally {
      server.close();
    }
  });

  it('takes a 4 MB request (over nginx’s 1 MB default) through to the upstream, intact', async () => {
    // The upstream reports usage, so Sluice has no reason to tokenize the long prompt itself.
    const usage = { prompt_tokens: 1, completion_tokens: 0, total_tokens: 1 };
    upstream.script(({ res }) => {
      sseHead(res);
      res.write(
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [], usage })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    });
    await withNginx(generated(sluicePort()), async (nginx) => {
      const content = 'streams stream '.repeat((4 * 1024 * 1024) / 15);
      const response = await fetch(`${nginx.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer sk-sluice-test-admin-key-0123456789abcdef',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content }] }),
      });
      assert.equal(response.status, 200);
      await response.text();
      const call = upstream.calls.at(-1);
      const messages = call?.json?.messages as { content: string }[] | undefined;
      assert.equal(messages?.[0]?.content.length, content.length);
      assert.doesNotMatch(nginx.errorLog(), /buffered to a temporary file/);
    });
  });

  it('passes an upload on as it arrives: the upstream has the first half before the second is sent', async () => {
    const half = 1024 * 1024;
    const firstHalfArrived = deferred();
    const server = createServer((req, res) => {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= half) firstHalfArrived.resolve();
      });
      req.on('end', () => res.end(String(received)));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      await withNginx(generated((server.address() as AddressInfo).port), async (nginx) => {
        const upload = request(`${nginx.url}/v1/files`, {
          method: 'POST',
          headers: { 'content-length': String(2 * half) },
        });
        const answered = once(upload, 'response');
        upload.write(Buffer.alloc(half, 'a'));
        const waited = await Promise.race([
          firstHalfArrived.promise.then(() => 'arrived' as const),
          new Promise<'held'>((resolve) => setTimeout(resolve, 5000, 'held')),
        ]);
        upload.end(Buffer.alloc(half, 'b'));
        const [response] = (await answered) as [IncomingMessage];
        let body = '';
        for await (const chunk of response) body += String(chunk);
        assert.equal(
          waited,
          'arrived',
          'nginx held the first half back until the body was complete',
        );
        assert.equal(body, String(2 * half));
      });
    } finally {
      server.close();
    }
  });
});

describe('the complete nginx.conf (--full)', () => {
  let certificate: TestCertificate;
  before(async () => {
    certificate = await selfSignedCertificate();
  });

  /** Runs `sluice nginx ARGS` (or takes `given`), and `nginx -t` on the result. */
  async function nginxAccepts(args: string[], given?: string): Promise<void> {
    const dir = await makeScratchDir('nginx-full');
    try {
      await writeFile(dir.file('cert.pem'), certificate.cert);
      await writeFile(dir.file('key.pem'), certificate.key);
      let conf = given ?? '';
      if (given === undefined) {
        const code = await nginxCommand.run(
          args.map((a) => a.replace('{{DIR}}', dir.path)),
          { stdout: { write: (t: string) => (conf += t) }, stderr: { write: () => true }, env: {} },
        );
        assert.equal(code, 0);
      }
      await writeFile(dir.file('nginx.conf'), conf);
      const { stderr } = await promisify(execFile)('/usr/sbin/nginx', [
        '-t',
        '-p',
        `${dir.path}/`,
        '-c',
        dir.file('nginx.conf'),
        '-e',
        dir.file('error.log'),
        '-g',
        `pid ${dir.file('nginx.pid')};`,
      ]);
      assert.match(stderr, /syntax is ok/);
      assert.match(stderr, /test is successful/);
    } finally {
      await dir.remove();
    }
  }

  it('nginx -t accepts it', async () => {
    await nginxAccepts([
      '--full',
      '--listen',
      '8080',
      '--upstream',
      '127.0.0.1:8081',
      '--upstream',
      '[::1]:8082',
    ]);
  });

  it('nginx -t accepts the committed deploy/nginx/nginx.conf (compose names resolved locally)', async () => {
    const committed = await readFile(
      new URL('../deploy/nginx/nginx.conf', import.meta.url),
      'utf8',
    );
    // nginx resolves upstream names when it starts; `sluice` exists only on the compose network.
    await nginxAccepts([], committed.replaceAll('server sluice:', 'server 127.0.0.1:'));
  });

  it('nginx -t accepts the TLS variant', async () => {
    await nginxAccepts([
      '--full',
      '--server-name',
      'chat.example.com',
      '--tls-cert',
      '{{DIR}}/cert.pem',
      '--tls-key',
      '{{DIR}}/key.pem',
    ]);
  });

  it('over TLS and HTTP/2 it streams, and plain HTTP redirects keeping the method', async () => {
    const dir = await makeScratchDir('nginx-tls');
    const trusted = getCACertificates('default');
    setDefaultCACertificates([...trusted, certificate.cert]);
    try {
      await writeFile(dir.file('cert.pem'), certificate.cert);
      await writeFile(dir.file('key.pem'), certificate.key);
      const httpPort = await freePort();
      const site = renderNginxSite({
        listen: LISTEN,
        upstreams: [parseAddress(`127.0.0.1:${sluicePort()}`, '--upstream', true)],
        tls: {
          cert: dir.file('cert.pem'),
          key: dir.file('key.pem'),
          httpListen: { host: '127.0.0.1', port: String(httpPort) },
        },
      });
      await withNginx(site, async (nginx) => {
        const https = nginx.url.replace('http:', 'https:');
        const { delivered } = await pacedThrough(https);
        assert.deepEqual(delivered, Array(8).fill(true));
        const redirect = await fetch(`http://127.0.0.1:${httpPort}/v1/chat/completions`, {
          method: 'POST',
          redirect: 'manual',
        });
        assert.equal(redirect.status, 308);
        assert.equal(
          redirect.headers.get('location'),
          `https://127.0.0.1:${nginx.port}/v1/chat/completions`,
        );
      });
    } finally {
      setDefaultCACertificates(trusted);
      await dir.remove();
    }
  });
});

describe('the linter’s verdicts, held against the same real nginx', () => {
  async function verdict(locationExtra: string) {
    const serverBlock = proxyServerBlock({ upstreamPort: Number(sluicePort()), locationExtra });
    const lint = lintNginx(textSource(serverBlock.replaceAll('{{PORT}}', '1'), 'site.conf'));
    let outcome: Awaited<ReturnType<typeof pacedThrough>> | undefined;
    await withNginx(serverBlock, async (nginx) => {
      outcome = await pacedThrough(nginx.url, { 'accept-encoding': 'gzip' });
    });
    assert.ok(outcome);
    const rules = (severity: string) =>
      lint.findings.filter((f) => f.severity === severity).map((f) => f.rule);
    return { ...outcome, errors: rules('error'), warnings: rules('warning') };
  }

  it('nginx defaults: only warnings, and the stream flows (Sluice’s header turns buffering off)', async () => {
    const { delivered, errors, warnings } = await verdict('');
    assert.deepEqual(errors, []);
    assert.ok(warnings.includes('buffering-on'));
    assert.deepEqual(delivered, Array(8).fill(true));
  });

  it('X-Accel-Buffering ignored: an error, and the stream is held back', async () => {
    const { delivered, errors } = await verdict('proxy_ignore_headers X-Accel-Buffering;');
    assert.deepEqual(errors, ['buffering-forced']);
    assert.equal(delivered[0], false);
  });

  it('gzip on event streams: a warning, and events still pass one by one, compressed', async () => {
    const { delivered, errors, warnings, headers } = await verdict(
      'proxy_buffering off; gzip on; gzip_types text/event-stream;',
    );
    assert.deepEqual(errors, []);
    assert.ok(warnings.includes('gzip-event-stream'));
    assert.equal(headers.get('content-encoding'), 'gzip');
    assert.deepEqual(delivered, Array(8).fill(true));
  });
});
