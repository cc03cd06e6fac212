/**
 * A real lighttpd (Debian's lighttpd 1.4) on loopback as a reverse proxy (mod_proxy), with its
 * own config and logs in a temp dir, in the foreground (`-D`). `directives` go into the global
 * config, e.g. `server.stream-response-body = 2`; `proxyOptions` into the proxy.server host
 * entry, e.g. `"read-timeout" => 2`.
 */
import { writeFile } from 'node:fs/promises';
import { startInScratchDir } from '../service.ts';
import { checkConfig } from './check-config.ts';

const LIGHTTPD = '/usr/sbin/lighttpd';

export interface LighttpdOptions {
  /** Sluice's port on 127.0.0.1. */
  readonly upstreamPort: number;
  /** Global directives, one per line. */
  readonly directives?: string;
  /** `"name" => value` pairs for the proxy.server host, comma-separated. */
  readonly proxyOptions?: string;
}

export interface TestLighttpd {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
  errorLog(): string;
}

export async function startLighttpd(options: LighttpdOptions): Promise<TestLighttpd> {
  const service = await startInScratchDir('lighttpd', async (dir, port) => {
    const conf = dir.file('lighttpd.conf');
    await writeFile(conf, lighttpdConf(dir.path, port, options));
    // -tt loads the modules too, so a misspelt option fails here rather than at the first request.
    await checkConfig(LIGHTTPD, ['-tt', '-f', conf], {
      name: 'lighttpd',
      debianPackage: 'lighttpd',
    });
    return {
      cmd: LIGHTTPD,
      args: ['-D', '-f', conf],
      options: { name: 'lighttpd', debianPackage: 'lighttpd' },
    };
  });
  return { ...service, errorLog: () => service.dir.read('error.log') };
}

function lighttpdConf(root: string, port: number, options: LighttpdOptions): string {
  const extra = options.proxyOptions === undefined ? '' : `, ${options.proxyOptions}`;
  // No server.username: it stays the invoking user, who owns the 0700 temp dir.
  return `server.modules = ( "mod_proxy" )
server.document-root = "${root}"
server.bind = "127.0.0.1"
server.port = ${port}
server.errorlog = "${root}/error.log"
${options.directives ?? ''}
proxy.server = ( "" => ( ( "host" => "127.0.0.1", "port" => ${options.upstreamPort}${extra} ) ) )
`;
}
