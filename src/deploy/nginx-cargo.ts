/**
 * Directives copied from "fix SSE behind nginx" answers that do nothing for streaming — or, set
 * the other way, slow it. Reported only where they reach a proxying location (in it or in a
 * scope around it), so users can stop copying them.
 */
import type { Finding, Severity } from './findings.ts';
import { chain, type ProxyLocation, type Scope } from './nginx-scopes.ts';
import type { Directive } from './nginx-syntax.ts';

type Judge = (directive: Directive) => { severity: Severity; message: string; fix: string } | null;

const BUFFER_SIZES =
  'sizes buffers nginx uses only while buffering a response: with proxy_buffering off they do nothing, and with it on, other sizes only change the size of the bursts. Streaming needs proxy_buffering off';

const JUDGES: Readonly<Record<string, Judge>> = {
  tcp_nopush: (d) =>
    d.args[0] === 'on'
      ? {
          severity: 'note',
          message:
            'tcp_nopush only acts together with sendfile, on files nginx serves from disk; proxied streams never use sendfile',
          fix: 'remove it from the streaming setup (keep it only for static files, if you like)',
        }
      : null,
  tcp_nodelay: (d) =>
    d.args[0] === 'off'
      ? {
          severity: 'warning',
          message:
            'tcp_nodelay off lets the kernel hold small events back (Nagle): nginx sets TCP_NODELAY on unbuffered proxying only when this is on, so each small event may wait tens of milliseconds',
          fix: 'remove it (on is the default)',
        }
      : {
          severity: 'note',
          message: "tcp_nodelay on is nginx's default already; setting it changes nothing",
          fix: 'remove it',
        },
  chunked_transfer_encoding: (d) =>
    d.args[0] === 'off'
      ? {
          severity: 'note',
          message:
            'chunked_transfer_encoding off: nginx then ends a streamed response by closing the connection. Still streams, but the connection cannot be reused',
          fix: 'remove it (on is the default)',
        }
      : {
          severity: 'note',
          message:
            "chunked_transfer_encoding on is nginx's default: it chunks a streamed response by itself; setting it changes nothing",
          fix: 'remove it',
        },
  proxy_buffers: () => ({
    severity: 'note',
    message: `proxy_buffers ${BUFFER_SIZES}`,
    fix: 'remove it',
  }),
  proxy_busy_buffers_size: () => ({
    severity: 'note',
    message: `proxy_busy_buffers_size ${BUFFER_SIZES}`,
    fix: 'remove it',
  }),
  proxy_max_temp_file_size: () => ({
    severity: 'note',
    message: `proxy_max_temp_file_size ${BUFFER_SIZES}`,
    fix: 'remove it',
  }),
  proxy_temp_file_write_size: () => ({
    severity: 'note',
    message: `proxy_temp_file_write_size ${BUFFER_SIZES}`,
    fix: 'remove it',
  }),
  proxy_buffer_size: () => ({
    severity: 'note',
    message:
      'proxy_buffer_size holds the response headers and, with buffering off, caps how much nginx reads from Sluice at once; events are passed on as they arrive whatever its size',
    fix: 'remove it unless responses carry very large headers',
  }),
  keepalive_timeout: () => ({
    severity: 'note',
    message:
      'keepalive_timeout closes idle client connections between requests; it neither keeps a stream open nor cuts one (proxy_read_timeout does)',
    fix: 'leave it at the default unless tuning connection reuse',
  }),
  add_header: (d) => {
    const name = d.args[0]?.toLowerCase();
    if (name === 'x-accel-buffering') {
      return {
        severity: 'note',
        message:
          'add_header X-Accel-Buffering sets the header on the response to the client; nginx reads it only from the upstream response (Sluice already sends it)',
        fix: 'remove it; proxy_buffering off; is what this nginx needs',
      };
    }
    if (name === 'transfer-encoding' || name === 'connection' || name === 'keep-alive') {
      return {
        severity: 'warning',
        message: `add_header ${d.args[0] ?? ''}: nginx frames responses itself; a hand-set connection header duplicates its own and is illegal over HTTP/2 (RFC 9113 §8.2.2), where Safari drops the stream`,
        fix: 'remove it',
      };
    }
    return null;
  },
  proxy_set_header: (d) =>
    d.args[0]?.toLowerCase() === 'x-accel-buffering'
      ? {
          severity: 'note',
          message:
            'proxy_set_header X-Accel-Buffering sends the header to Sluice in the request, where nothing reads it; nginx honours it only in the response',
          fix: 'remove it; proxy_buffering off; is what this nginx needs',
        }
      : null,
};

export function cargoFindings(locations: readonly ProxyLocation[]): Finding[] {
  const scopes = new Set<Scope>(locations.flatMap((l) => chain(l.scope)));
  const findings: Finding[] = [];
  for (const scope of scopes) {
    for (const directive of scope.directives) {
      if (directive.block !== undefined) continue;
      const verdict = JUDGES[directive.name]?.(directive);
      if (verdict)
        findings.push({
          ...verdict,
          rule: rule(directive),
          file: directive.file,
          line: directive.line,
        });
    }
  }
  return findings;
}

function rule(directive: Directive): string {
  if (directive.name.startsWith('proxy_') && directive.name.includes('buffer'))
    return 'buffer-tuning';
  if (directive.name.includes('temp_file')) return 'buffer-tuning';
  if (directive.name === 'add_header' || directive.name === 'proxy_set_header') {
    const header = (directive.args[0] ?? '').toLowerCase();
    return header === 'x-accel-buffering' ? 'accel-header-misplaced' : 'hop-by-hop-header';
  }
  return directive.name.replaceAll('_', '-');
}
