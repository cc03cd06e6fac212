/**
 * The first step of `npm test`: the suite runs real intermediaries, a real browser, a real
 * Prometheus and container engine, and needs PostgreSQL and Redis. Whatever of that is missing
 * is installed here — as root, on Debian, with apt — or named, with the command that installs it,
 * in one message before anything else runs. Everything present (the usual case): a few `stat`s.
 *
 *   npm run setup:test                       check, install what is missing (root + apt)
 *   node test/setup/environment.ts --check   only say what is missing (exit 1 if anything)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';

/** A Debian package the tests need, known by a file it installs (the path the tests run). */
export interface Requirement {
  readonly pkg: string;
  readonly path: string;
}

export const REQUIREMENTS: readonly Requirement[] = [
  { pkg: 'nginx', path: '/usr/sbin/nginx' },
  { pkg: 'tinyproxy', path: '/usr/bin/tinyproxy' },
  { pkg: 'dante-server', path: '/usr/sbin/danted' },
  { pkg: 'openssl', path: '/usr/bin/openssl' },
  { pkg: 'haproxy', path: '/usr/sbin/haproxy' },
  { pkg: 'apache2', path: '/usr/sbin/apache2' },
  { pkg: 'caddy', path: '/usr/bin/caddy' },
  { pkg: 'varnish', path: '/usr/sbin/varnishd' },
  // The doctor's hops beyond the first five (issue 15); h2o also serves HTTP/2 over TLS.
  { pkg: 'lighttpd', path: '/usr/sbin/lighttpd' },
  { pkg: 'squid', path: '/usr/sbin/squid' },
  { pkg: 'h2o', path: '/usr/bin/h2o' },
  // A forward proxy that names itself nowhere and holds whole responses by default.
  { pkg: 'mitmproxy', path: '/usr/bin/mitmdump' },
  { pkg: 'chromium', path: '/usr/bin/chromium' },
  // `ss`: the kernel's view of a listening socket (test/listen-backlog.test.ts).
  { pkg: 'iproute2', path: '/usr/bin/ss' },
  { pkg: 'prometheus', path: '/usr/bin/prometheus' },
  // The container test: podman with Debian's runc (crun refuses this machine's cgroups), and
  // mmdebstrap for the local stand-in of node:24-slim (no image registry is reachable).
  { pkg: 'podman', path: '/usr/bin/podman' },
  { pkg: 'runc', path: '/usr/sbin/runc' },
  { pkg: 'mmdebstrap', path: '/usr/bin/mmdebstrap' },
  { pkg: 'ca-certificates', path: '/usr/sbin/update-ca-certificates' },
];

/** A service the tests connect to, and how to start it when it is installed but down. */
export interface Service {
  readonly name: string;
  readonly port: number;
  /** The file whose presence means "installed". */
  readonly installed: string;
  readonly start: readonly string[];
}

export const SERVICES: readonly Service[] = [
  {
    name: 'PostgreSQL',
    port: 5432,
    installed: '/usr/bin/pg_ctlcluster',
    start: [
      'sh',
      '-c',
      'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start',
    ],
  },
  {
    name: 'Redis',
    port: 6379,
    installed: '/usr/bin/redis-server',
    start: [
      'redis-server',
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1 -::1',
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      '/var/lib/redis',
      '--logfile',
      '/var/log/redis/ci.log',
    ],
  },
];

export type Plan =
  | { readonly kind: 'ready' }
  | { readonly kind: 'install'; readonly packages: readonly string[] }
  | { readonly kind: 'refuse'; readonly message: string };

/** What to do about the packages missing, given who runs the tests and where. */
export function plan(
  missing: readonly string[],
  { root, apt }: { root: boolean; apt: boolean },
): Plan {
  if (missing.length === 0) return { kind: 'ready' };
  if (root && apt) return { kind: 'install', packages: missing };
  const how = apt
    ? 'run `sudo npm run setup:test` once (it installs them with apt), then `npm test`'
    : 'install them with your package manager (the suite expects Debian paths: see test/setup/environment.ts)';
  return {
    kind: 'refuse',
    message: `npm test needs ${missing.join(', ')}, which this machine lacks: ${how}.`,
  };
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000);
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.once('timeout', () => {
      done(false);
    });
  });
}

/** apt-get install, with the packages' own services kept from starting (the tests run their own). */
function aptInstall(packages: readonly string[]): void {
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  // Without systemd, invoke-rc.d asks policy-rc.d: 101 means "do not start".
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
      stdio: 'inherit',
      env,
    });
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}

async function main(checkOnly: boolean): Promise<number> {
  const missing = REQUIREMENTS.filter((r) => !existsSync(r.path)).map((r) => r.pkg);
  const root = process.getuid?.() === 0;
  const apt =
    missing.length > 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  const next = plan(missing, { root: root && !checkOnly, apt });
  if (next.kind === 'refuse') {
    process.stderr.write(`${next.message}\n`);
    return 1;
  }
  if (next.kind === 'install') {
    process.stderr.write(`npm test: installing ${next.packages.join(', ')} (once)\n`);
    aptInstall(next.packages);
  }

  for (const service of SERVICES) {
    if (await reachable(service.port)) continue;
    if (root && !checkOnly && existsSync(service.installed)) {
      process.stderr.write(`npm test: starting ${service.name}\n`);
      const [command = '', ...args] = service.start;
      spawnSync(command, args, { stdio: 'inherit' });
      if (await reachable(service.port)) continue;
    }
    process.stderr.write(
      `npm test needs ${service.name} on 127.0.0.1:${service.port} (trust auth for PostgreSQL), ` +
        `which does not answer: start it${root ? '' : ' (or run `sudo npm run setup:test`)'}.\n`,
    );
    return 1;
  }
  return 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.includes('--check'));
