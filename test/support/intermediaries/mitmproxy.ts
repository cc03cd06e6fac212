/**
 * A real mitmproxy (Debian's mitmproxy 8, its `mitmdump`) on loopback as the forward proxy that
 * HTTP_PROXY/HTTPS_PROXY name, with its certificate authority in a temp dir: https targets are
 * intercepted with certificates it issues (trust `caCert` to verify them), and it trusts whatever
 * certificate the target shows. `options` are its `--set` options, e.g. `stream_large_bodies=1`.
 */
import { startInScratchDir } from '../service.ts';

const MITMDUMP = '/usr/bin/mitmdump';

export interface TestMitmproxy {
  readonly port: number;
  /** `http://127.0.0.1:PORT`: the proxy. */
  readonly url: string;
  /** The PEM file of the authority it issues intercepting certificates from. */
  readonly caCert: string;
  stop(): Promise<void>;
}

export async function startMitmproxy(options: readonly string[] = []): Promise<TestMitmproxy> {
  const service = await startInScratchDir('mitmproxy', (dir, port) => {
    const settings = [`confdir=${dir.path}`, 'ssl_insecure=true', ...options];
    return Promise.resolve({
      cmd: MITMDUMP,
      args: [
        ...['--listen-host', '127.0.0.1', '--listen-port', String(port), '--quiet'],
        ...settings.flatMap((setting) => ['--set', setting]),
      ],
      options: { name: 'mitmdump', debianPackage: 'mitmproxy' },
    });
  });
  return { ...service, caCert: service.dir.file('mitmproxy-ca-cert.pem') };
}
