/**
 * A real HAProxy (Debian's haproxy 2.6) on loopback in front of Sluice, with its own config in a
 * temp dir, in the foreground (`-db`). `defaults` and `backend` add lines to those sections, e.g.
 * a short `timeout server` or `compression type text/event-stream`.
 */
import { writeFile } from 'node:fs/promises';
import { startInScratchDir } from '../service.ts';
import { checkConfig } from './check-config.ts';

const HAPROXY = '/usr/sbin/haproxy';

export interface HaproxyOptions {
  /** Sluice's port on 127.0.0.1. */
  readonly upstreamPort: number;
  /** Lines for the `defaults` section; the timeouts here default to HAProxy's stock 50 s. */
  readonly defaults?: string;
  /** Lines for the backend section. */
  readonly backend?: string;
}

export interface TestHaproxy {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
  output(): string;
}

export async function startHaproxy(options: HaproxyOptions): Promise<TestHaproxy> {
  return startInScratchDir('haproxy', async (dir, port) => {
    const conf = dir.file('haproxy.cfg');
    await writeFile(conf, haproxyConf(port, options));
    await checkConfig(HAPROXY, ['-c', '-q', '-f', conf], {
      name: 'haproxy',
      debianPackage: 'haproxy',
    });
    return {
      cmd: HAPROXY,
      args: ['-db', '-f', conf],
      options: { name: 'haproxy', debianPackage: 'haproxy' },
    };
  });
}

function haproxyConf(port: number, options: HaproxyOptions): string {
  // The stock Debian config's timeouts (haproxy/haproxy#182 cites the same 50 s); later lines in
  // `defaults` override them.
  return `global
  log stderr format short local0 warning

defaults
  mode http
  log global
  timeout connect 5s
  timeout client 50s
  timeout server 50s
  ${options.defaults ?? ''}

frontend doctor
  bind 127.0.0.1:${port}
  default_backend sluice

backend sluice
  server sluice1 127.0.0.1:${options.upstreamPort}
  ${options.backend ?? ''}
`;
}
