/**
 * A real Varnish Cache (Debian's varnish 7.1) on loopback in front of Sluice, with its own VCL and
 * working dir in a temp dir and a small malloc store. `backendResponse` goes into
 * `vcl_backend_response`, e.g. `set beresp.do_stream = false;` or forced caching.
 */
import { writeFile } from 'node:fs/promises';
import { startInScratchDir } from '../service.ts';

const VARNISHD = '/usr/sbin/varnishd';

export interface VarnishOptions {
  /** Sluice's port on 127.0.0.1. */
  readonly upstreamPort: number;
  /** VCL statements inside `sub vcl_backend_response { … }`. */
  readonly backendResponse?: string;
  /** VCL statements inside `sub vcl_recv { … }`. */
  readonly recv?: string;
  /** Extra `-p name=value` runtime parameters, e.g. `between_bytes_timeout=2`. */
  readonly params?: readonly string[];
}

export interface TestVarnish {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
  output(): string;
}

export async function startVarnish(options: VarnishOptions): Promise<TestVarnish> {
  return startInScratchDir('varnish', async (dir, port) => {
    const vcl = dir.file('default.vcl');
    await writeFile(vcl, vclText(options));
    const args = [
      '-F', // foreground: the PID we hold is the manager's, which stops its child with it
      '-a',
      `127.0.0.1:${port}`,
      '-f',
      vcl,
      '-n',
      dir.file('work'),
      '-s',
      'malloc,32m',
      // Run as the invoking user rather than Debian's varnish/vcache users: the temp dir is 0700.
      '-j',
      'none',
      ...(options.params ?? []).flatMap((p) => ['-p', p]),
    ];
    return { cmd: VARNISHD, args, options: { name: 'varnishd', debianPackage: 'varnish' } };
  });
}

function vclText(options: VarnishOptions): string {
  return `vcl 4.1;

backend sluice {
  .host = "127.0.0.1";
  .port = "${options.upstreamPort}";
}

sub vcl_recv {
  ${options.recv ?? ''}
}

sub vcl_backend_response {
  ${options.backendResponse ?? ''}
}
`;
}
