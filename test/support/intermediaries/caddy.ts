/**
 * A real Caddy (Debian's caddy 2.6) on loopback as a reverse proxy, with its own Caddyfile, data
 * and config dirs in a temp dir; no admin endpoint, no automatic HTTPS. `directives` go into the
 * site block before `reverse_proxy`, e.g. `encode gzip`.
 */
import { writeFile } from 'node:fs/promises';
import { startInScratchDir } from '../service.ts';

const CADDY = '/usr/bin/caddy';

export interface CaddyOptions {
  /** Sluice's port on 127.0.0.1. */
  readonly upstreamPort: number;
  /** Directives in the site block, before reverse_proxy. */
  readonly directives?: string;
  /** Lines inside the reverse_proxy block. */
  readonly proxyDirectives?: string;
}

export interface TestCaddy {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
  /** What Caddy logged (to stderr). */
  output(): string;
}

export async function startCaddy(options: CaddyOptions): Promise<TestCaddy> {
  return startInScratchDir('caddy', async (dir, port) => {
    const conf = dir.file('Caddyfile');
    await writeFile(conf, caddyfile(port, options));
    return {
      cmd: CADDY,
      args: ['run', '--config', conf, '--adapter', 'caddyfile'],
      options: {
        name: 'caddy',
        debianPackage: 'caddy',
        // Caddy keeps certificates and autosaved config under XDG dirs: keep them in the temp dir.
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: dir.path,
          XDG_DATA_HOME: dir.file('data'),
          XDG_CONFIG_HOME: dir.file('config'),
        },
      },
    };
  });
}

function caddyfile(port: number, options: CaddyOptions): string {
  return `{
  admin off
  auto_https off
}

http://127.0.0.1:${port} {
  bind 127.0.0.1
  ${options.directives ?? ''}
  reverse_proxy 127.0.0.1:${options.upstreamPort} {
    ${options.proxyDirectives ?? ''}
  }
}
`;
}
