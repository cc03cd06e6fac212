/**
 * A real tinyproxy (Debian's) on loopback: the forward HTTP proxy behind HTTP(S)_PROXY in
 * corporate networks. Plain requests arrive as absolute-form (`GET http://host:port/path`),
 * HTTPS as `CONNECT host:port`; both are logged, which is how a test proves it went through.
 */
import { writeFile } from 'node:fs/promises';
import { startInScratchDir } from './service.ts';

const TINYPROXY = '/usr/bin/tinyproxy';

export interface TestTinyproxy {
  readonly port: number;
  /** `http://127.0.0.1:PORT`, for HTTP_PROXY / undici's ProxyAgent. */
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
  /**
   * Its log, e.g. `Request (file descriptor 5): GET http://127.0.0.1:PORT/path HTTP/1.1` or
   * `Request (file descriptor 5): CONNECT 127.0.0.1:PORT HTTP/1.1`.
   */
  log(): string;
}

export async function startTinyproxy(): Promise<TestTinyproxy> {
  const service = await startInScratchDir('tinyproxy', async (dir, port) => {
    const conf = dir.file('tinyproxy.conf');
    await writeFile(
      conf,
      tinyproxyConf(port, dir.file('tinyproxy.log'), dir.file('tinyproxy.pid')),
    );
    // -d: stay in the foreground, so the PID we hold is the proxy's.
    return { cmd: TINYPROXY, args: ['-d', '-c', conf], options: { name: 'tinyproxy' } };
  });
  return { ...service, log: () => service.dir.read('tinyproxy.log') };
}

function tinyproxyConf(port: number, logFile: string, pidFile: string): string {
  // No ConnectPort line at all: tinyproxy.conf(5) says CONNECT is then allowed to every port
  // (Debian's sample config would limit it to 443 and 563). User/Group root: stay the user that
  // owns the 0700 temp dir (and without them tinyproxy warns that it SHOULD be set).
  return `User root
Group root
Listen 127.0.0.1
Port ${port}
Allow 127.0.0.1
Timeout 600
MaxClients 100
LogLevel Connect
LogFile "${logFile}"
PidFile "${pidFile}"
`;
}
