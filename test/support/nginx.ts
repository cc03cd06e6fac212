/**
 * A real nginx (Debian's) on loopback, with its own prefix, config and logs in a temp dir — the
 * reverse proxy most Sluice deployments sit behind, and the usual suspect when a stream buffers.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { requireExecutable } from './process.ts';
import { startInScratchDir } from './service.ts';

const NGINX = '/usr/sbin/nginx';

export interface NginxOptions {
  /** One or more `server { … }` blocks; `{{PORT}}` becomes nginx's free port, `{{PREFIX}}` its dir. */
  readonly serverBlock: string;
  /** Directives for the `http { }` context, before the server block. */
  readonly httpExtra?: string;
}

export interface TestNginx {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** nginx's `-p` prefix, a temp dir removed by stop(). */
  readonly prefix: string;
  /** The master's PID. */
  readonly pid: number;
  stop(): Promise<void>;
  errorLog(): string;
  /** Written after the response is sent: poll it (waitForText) rather than read it once. */
  accessLog(): string;
  /** Any file in the prefix, e.g. a log the config names as `{{PREFIX}}/name.log`. */
  read(name: string): string;
}

export async function startNginx(options: NginxOptions): Promise<TestNginx> {
  await requireExecutable(NGINX, { name: 'nginx' });
  const service = await startInScratchDir('nginx', async (dir, port) => {
    const conf = dir.file('nginx.conf');
    await writeFile(conf, nginxConf(dir.path, port, options));
    const args = ['-p', `${dir.path}/`, '-c', conf, '-e', dir.file('error.log')];
    await checkConfig(args, conf, () => dir.read('error.log'));
    return { cmd: NGINX, args, options: { name: 'nginx' } };
  });
  const { dir } = service;
  return {
    ...service,
    prefix: dir.path,
    errorLog: () => dir.read('error.log'),
    accessLog: () => dir.read('access.log'),
    read: (name) => dir.read(name),
  };
}

/** A server that proxies everything to 127.0.0.1:upstreamPort, plus `locationExtra` directives. */
export function proxyServerBlock(options: {
  readonly upstreamPort: number;
  readonly locationExtra?: string;
}): string {
  return `server {
    listen 127.0.0.1:{{PORT}};
    location / {
      proxy_pass http://127.0.0.1:${options.upstreamPort};
      ${options.locationExtra ?? ''}
    }
  }`;
}

function nginxConf(prefix: string, port: number, options: NginxOptions): string {
  // `user root`: as root, workers otherwise drop to nobody and cannot write the 0700 temp dir.
  return `user root;
daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log info;

events {
  worker_connections 256;
}

http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/client_body_temp;
  proxy_temp_path ${prefix}/proxy_temp;
  fastcgi_temp_path ${prefix}/fastcgi_temp;
  uwsgi_temp_path ${prefix}/uwsgi_temp;
  scgi_temp_path ${prefix}/scgi_temp;

  ${(options.httpExtra ?? '').replaceAll('{{PREFIX}}', prefix)}

  ${options.serverBlock.replaceAll('{{PORT}}', String(port)).replaceAll('{{PREFIX}}', prefix)}
}
`;
}

async function checkConfig(
  args: readonly string[],
  conf: string,
  errorLog: () => string,
): Promise<void> {
  try {
    await promisify(execFile)(NGINX, [...args, '-t'], { timeout: 10_000 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const output = [stdout, stderr, errorLog()].filter((text) => text.trim() !== '').join('\n');
    throw new Error(`nginx -t rejected ${conf}:\n${output}`, { cause: error });
  }
}
