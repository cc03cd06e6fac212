/**
 * A real SOCKS5 proxy (Debian's dante-server) on loopback, no authentication. Its connection log
 * names both ends of every relayed connection, which is how a test proves a request went through:
 * `pass(1): tcp/connect [: 127.0.0.1.CLIENTPORT 127.0.0.1.PROXYPORT -> 127.0.0.1.X 127.0.0.1.DESTPORT`
 * (dante writes address.port, with a dot).
 */
import { writeFile } from 'node:fs/promises';
import { startInScratchDir } from './service.ts';

const DANTED = '/usr/sbin/danted';

export interface TestSocks {
  readonly port: number;
  /** `socks5://127.0.0.1:PORT`, for undici's ProxyAgent. */
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
  /** dante's log: start-up, then `tcp/accept` and `tcp/connect` lines per connection. */
  log(): string;
}

export async function startSocks(): Promise<TestSocks> {
  const service = await startInScratchDir('danted', async (dir, port) => {
    const conf = dir.file('danted.conf');
    await writeFile(conf, dantedConf(port, dir.file('danted.log')));
    // Without -D danted stays in the foreground; its children share its process group.
    return {
      cmd: DANTED,
      args: ['-f', conf, '-p', dir.file('danted.pid')],
      options: { name: 'danted' },
    };
  });
  return {
    ...service,
    url: `socks5://127.0.0.1:${service.port}`,
    log: () => service.dir.read('danted.log'),
  };
}

function dantedConf(port: number, logFile: string): string {
  // The log file is opened as root before the children drop to nobody, so a 0700 dir is fine.
  return `logoutput: ${logFile}
internal: 127.0.0.1 port = ${port}
external: 127.0.0.1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody

client pass {
  from: 127.0.0.0/8 to: 127.0.0.0/8
  log: connect disconnect error
}

socks pass {
  from: 127.0.0.0/8 to: 127.0.0.0/8
  command: connect
  log: connect disconnect error
}
`;
}
