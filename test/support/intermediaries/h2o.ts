/**
 * A real H2O (Debian's h2o 2.2) on loopback as a reverse proxy, with its own config and logs in
 * a temp dir. With `tls` it listens with that certificate and offers HTTP/2 by ALPN (h2o speaks
 * HTTP/2 to clients that ask; its proxy speaks HTTP/1.1 to Sluice). `directives` go into the
 * path that proxies, e.g. `proxy.timeout.io: 2000` or `compress: ON`.
 */
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { startInScratchDir } from '../service.ts';
import type { TestCertificate } from '../tls.ts';
import { checkConfig } from './check-config.ts';

const H2O = '/usr/bin/h2o';

export interface H2oOptions {
  /** Sluice's port on 127.0.0.1. */
  readonly upstreamPort: number;
  /** YAML lines for the proxying path, at its indentation (no leading spaces needed). */
  readonly directives?: string;
  /** Serve HTTPS with this certificate. */
  readonly tls?: TestCertificate;
}

export interface TestH2o {
  readonly port: number;
  /** `http://127.0.0.1:PORT`, or `https://…` with `tls`. */
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
  errorLog(): string;
}

export async function startH2o(options: H2oOptions): Promise<TestH2o> {
  const service = await startInScratchDir('h2o', async (dir, port) => {
    let tls: { cert: string; key: string } | undefined;
    if (options.tls !== undefined) {
      tls = { cert: dir.file('cert.pem'), key: dir.file('key.pem') };
      await writeFile(tls.cert, options.tls.cert);
      await writeFile(tls.key, options.tls.key, { mode: 0o600 });
    }
    const conf = dir.file('h2o.conf');
    await writeFile(conf, h2oConf(dir.path, port, options, tls));
    await checkConfig(H2O, ['-t', '-c', conf], { name: 'h2o', debianPackage: 'h2o' });
    return { cmd: H2O, args: ['-c', conf], options: { name: 'h2o', debianPackage: 'h2o' } };
  });
  const scheme = options.tls === undefined ? 'http' : 'https';
  return {
    ...service,
    url: `${scheme}://127.0.0.1:${service.port}`,
    errorLog: () => service.dir.read('error.log'),
  };
}

function h2oConf(
  dir: string,
  port: number,
  options: H2oOptions,
  tls: { cert: string; key: string } | undefined,
): string {
  const ssl =
    tls === undefined
      ? ''
      : `\n  ssl:\n    certificate-file: ${tls.cert}\n    key-file: ${tls.key}`;
  const directives = (options.directives ?? '')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => `        ${line}`)
    .join('\n');
  // user: the invoking user, who owns the 0700 temp dir (as root, h2o would switch to nobody).
  return `user: ${userInfo().username}
pid-file: ${dir}/h2o.pid
error-log: ${dir}/error.log
listen:
  host: 127.0.0.1
  port: ${port}${ssl}
hosts:
  default:
    paths:
      /:
        proxy.reverse.url: http://127.0.0.1:${options.upstreamPort}/
${directives}
`;
}
