/**
 * A real Squid (Debian's squid 5) on loopback, in the foreground (`-N`), with its config, logs and
 * pid file in a temp dir and a memory-only cache. `reverse` puts it in front of Sluice as an
 * accelerator (a `cache_peer` origin server); `forward` makes it the corporate proxy that
 * HTTP_PROXY names, with Sluice reached through it. `directives` are appended, e.g.
 * `read_timeout 2 seconds`.
 */
import { chown, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { startInScratchDir } from '../service.ts';
import { checkConfig } from './check-config.ts';

const SQUID = '/usr/sbin/squid';
/** Debian's squid, started as root, drops to this user (its built-in cache_effective_user). */
const SQUID_USER = 'proxy';

export interface SquidOptions {
  readonly mode: 'reverse' | 'forward';
  /** Sluice's port on 127.0.0.1 (reverse mode). */
  readonly upstreamPort?: number;
  /** Extra lines for squid.conf. */
  readonly directives?: string;
}

export interface TestSquid {
  readonly port: number;
  /** `http://127.0.0.1:PORT`: the site (reverse) or the proxy (forward). */
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
  /** Squid's cache.log (warnings, timeouts). */
  cacheLog(): string;
  /** One line per request, with Squid's result code (TCP_MISS/200, …). */
  accessLog(): string;
}

export async function startSquid(options: SquidOptions): Promise<TestSquid> {
  const service = await startInScratchDir('squid', async (dir, port) => {
    // Started as root, Squid switches to the proxy user before it writes its logs there.
    if (userInfo().uid === 0) {
      const { uid, gid } = await passwdEntry(SQUID_USER);
      await chown(dir.path, uid, gid);
    }
    const conf = dir.file('squid.conf');
    await writeFile(conf, squidConf(dir.path, port, options));
    await checkConfig(SQUID, ['-k', 'parse', '-f', conf], {
      name: 'squid',
      debianPackage: 'squid',
    });
    return {
      cmd: SQUID,
      // -N: no daemon, one process; -d 1: level-1 messages on stderr too.
      args: ['-N', '-d', '1', '-f', conf],
      options: { name: 'squid', debianPackage: 'squid' },
    };
  });
  return {
    ...service,
    cacheLog: () => service.dir.read('cache.log'),
    accessLog: () => service.dir.read('access.log'),
  };
}

function squidConf(dir: string, port: number, options: SquidOptions): string {
  const site =
    options.mode === 'reverse'
      ? `http_port 127.0.0.1:${port} accel defaultsite=127.0.0.1 no-vhost
cache_peer 127.0.0.1 parent ${String(options.upstreamPort ?? 0)} 0 no-query originserver name=sluice
cache_peer_access sluice allow all
http_access allow all`
      : `http_port 127.0.0.1:${port}
acl loopback src 127.0.0.1/32
http_access allow loopback
http_access deny all`;
  // shutdown_lifetime 0: SIGTERM ends it at once (the default waits 30 s for clients).
  return `${site}
pid_filename ${dir}/squid.pid
cache_log ${dir}/cache.log
access_log stdio:${dir}/access.log
cache_store_log none
coredump_dir ${dir}
netdb_filename none
shutdown_lifetime 0 seconds
visible_hostname sluice-test-squid
${options.directives ?? ''}
`;
}

async function passwdEntry(name: string): Promise<{ uid: number; gid: number }> {
  const line = (await readFile('/etc/passwd', 'utf8'))
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(`squid: no "${name}" user in /etc/passwd (the squid package creates it)`);
  }
  return { uid: Number(uid), gid: Number(gid) };
}
