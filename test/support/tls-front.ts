/**
 * An `https://` forward proxy made of real parts: Debian's HAProxy terminating TLS in TCP mode
 * in front of a plain forward proxy (tinyproxy) — how an HTTPS proxy is commonly deployed. A
 * client that does not speak TLS to it gets nowhere.
 */
import { writeFile } from 'node:fs/promises';
import { startInScratchDir, type RunningService } from './service.ts';
import type { TestCertificate } from './tls.ts';

export async function startTlsFront(
  backendPort: number,
  certificate: TestCertificate,
): Promise<RunningService & { readonly httpsUrl: string }> {
  const service = await startInScratchDir('haproxy-tls', async (dir, port) => {
    const pem = dir.file('front.pem');
    await writeFile(pem, `${certificate.cert}\n${certificate.key}\n`);
    const conf = dir.file('haproxy.cfg');
    await writeFile(
      conf,
      `global
  log stderr format short local0 info

defaults
  mode tcp
  log global
  option tcplog
  timeout connect 5s
  timeout client 60s
  timeout server 60s

frontend tls
  bind 127.0.0.1:${port} ssl crt ${pem}
  default_backend proxy

backend proxy
  server proxy1 127.0.0.1:${backendPort}
`,
    );
    return {
      cmd: '/usr/sbin/haproxy',
      args: ['-db', '-f', conf],
      options: { name: 'haproxy', debianPackage: 'haproxy' },
    };
  });
  return { ...service, httpsUrl: `https://127.0.0.1:${service.port}` };
}
