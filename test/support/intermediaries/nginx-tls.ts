/**
 * A real nginx (Debian's 1.22) terminating TLS on loopback in front of Sluice, with a throwaway
 * certificate, optionally offering HTTP/2 by ALPN. nginx 1.22 predates the `http2 on;` directive
 * (1.25.1): HTTP/2 is the `http2` parameter of `listen`, which is what Debian 12 users write.
 */
import { writeFile } from 'node:fs/promises';
import { startNginx, type TestNginx } from '../nginx.ts';
import { makeScratchDir } from '../scratch-dir.ts';
import type { TestCertificate } from '../tls.ts';

export interface NginxTlsOptions {
  /** Sluice's port on 127.0.0.1. */
  readonly upstreamPort: number;
  readonly certificate: TestCertificate;
  /** Offer h2 by ALPN beside http/1.1. */
  readonly http2: boolean;
  /** Directives in the proxying location. */
  readonly locationExtra?: string;
}

export type TestNginxTls = TestNginx & {
  /** `https://127.0.0.1:PORT` */
  readonly httpsUrl: string;
};

export async function startNginxTls(options: NginxTlsOptions): Promise<TestNginxTls> {
  const keys = await makeScratchDir('nginx-tls');
  try {
    await writeFile(keys.file('cert.pem'), options.certificate.cert);
    await writeFile(keys.file('key.pem'), options.certificate.key, { mode: 0o600 });
    const nginx = await startNginx({
      serverBlock: `server {
    listen 127.0.0.1:{{PORT}} ssl${options.http2 ? ' http2' : ''};
    ssl_certificate ${keys.file('cert.pem')};
    ssl_certificate_key ${keys.file('key.pem')};
    location / {
      proxy_pass http://127.0.0.1:${options.upstreamPort};
      ${options.locationExtra ?? ''}
    }
  }`,
    });
    return {
      ...nginx,
      httpsUrl: `https://127.0.0.1:${nginx.port}`,
      stop: async () => {
        await nginx.stop();
        await keys.remove();
      },
    };
  } catch (error) {
    await keys.remove();
    throw error;
  }
}
