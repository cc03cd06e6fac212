/**
 * A real SOCKS5 proxy (Debian's dante-server) on loopback, no authentication. Its connection log
 * names both ends of every relayed connection, which is how a test proves a request went through:
 * `pass(1): tcp/connect [: 127.0.0.1.CLIENTPORT 127.0.0.1.PROXYPORT -> 127.0.0.1.X 127.0.0.1.DESTPORT`
 * (dante writes address.port, with a dot).
 */
import { writeFile } from 'node:fs/promises';
import { freePort } from './ports.ts';
import { startProcess } from './process.ts';
import { makeScratchDir } from './scratch-dir.ts';

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
  const dir = await makeScratchDir('danted');
  try {
    const port = await freePort();
    const conf = dir.file('danted.conf');
    await writeFile(conf, dantedConf(port, dir.file('danted.log')));
    // Without -D danted stays in the foreground; its children share its process group.
    const child = await startProcess(DANTED, ['-f', conf, '-p', dir.file('danted.pid')], {
      name: 'danted',
      cwd: dir.path,
      readyPort: port,
    });
    return {
      port,
      url: `socks5://127.0.0.1:${port}`,
      pid: child.pid,
      stop: async () => {
        await child.stop();
        await dir.remove();
      },
      log: () => dir.read('danted.log'),
    };
  } catch (error) {
    await dir.remove();
    throw error;
  }
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
