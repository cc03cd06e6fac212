/**
 * A real Apache httpd (Debian's apache2) on loopback as a reverse proxy (mod_proxy_http), with its
 * own ServerRoot, config and logs in a temp dir. `directives` go into the server config after
 * ProxyPass, e.g. mod_deflate covering text/event-stream or a short ProxyTimeout.
 */
import { writeFile } from 'node:fs/promises';
import { startInScratchDir } from '../service.ts';
import { checkConfig } from './check-config.ts';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';

export interface ApacheOptions {
  /** Sluice's port on 127.0.0.1. */
  readonly upstreamPort: number;
  /** Extra directives in the main server config. */
  readonly directives?: string;
}

export interface TestApache {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
  errorLog(): string;
}

export async function startApache(options: ApacheOptions): Promise<TestApache> {
  const service = await startInScratchDir('apache2', async (dir, port) => {
    const conf = dir.file('apache2.conf');
    await writeFile(conf, apacheConf(dir.path, port, options));
    await checkConfig(APACHE, ['-t', '-f', conf], { name: 'apache2', debianPackage: 'apache2' });
    // -DFOREGROUND: the parent stays attached, so the PID we hold is the one that stops it.
    return {
      cmd: APACHE,
      args: ['-f', conf, '-DFOREGROUND'],
      options: { name: 'apache2', debianPackage: 'apache2' },
    };
  });
  return { ...service, errorLog: () => service.dir.read('error.log') };
}

function apacheConf(root: string, port: number, options: ApacheOptions): string {
  const modules = [
    'mpm_event',
    'authz_core',
    'filter',
    'deflate',
    'headers',
    'setenvif',
    'proxy',
    'proxy_http',
  ];
  // The parent runs as root and opens the logs; workers switch to www-data (User/Group below),
  // which only ever talks to sockets here.
  return `ServerRoot "${root}"
DefaultRuntimeDir "${root}"
PidFile "${root}/apache2.pid"
ErrorLog "${root}/error.log"
LogLevel warn
${modules.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`).join('\n')}
User www-data
Group www-data
Listen 127.0.0.1:${port}
ServerName 127.0.0.1
ProxyPass "/" "http://127.0.0.1:${options.upstreamPort}/"
ProxyPassReverse "/" "http://127.0.0.1:${options.upstreamPort}/"
${options.directives ?? ''}
`;
}
