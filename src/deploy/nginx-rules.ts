/**
 * What breaks or weakens streaming on a location that proxies to Sluice, judged on the settings
 * in force there (see nginx-scopes.ts). Severities follow what a real nginx does with Sluice's
 * headers (`X-Accel-Buffering: no`, `Cache-Control: no-cache`, keepalive comments); the tests in
 * test/deploy-nginx.test.ts check the claims against Debian's nginx.
 */
import type { Finding, Severity } from './findings.ts';
import { effective, effectiveList, headerSet, type ProxyLocation } from './nginx-scopes.ts';
import type { Directive } from './nginx-syntax.ts';
import { formatSeconds, parseNginxSize, parseNginxTime } from './nginx-values.ts';

export interface RuleOptions {
  /** Sluice's keepalive interval (SLUICE_KEEPALIVE), to judge read timeouts against. */
  readonly keepaliveMs: number;
}

/** Sluice's default SLUICE_MAX_BODY. */
const SLUICE_MAX_BODY = 32 * 1024 ** 2;
const LONG_TIMEOUT_MS = 300_000;

export function locationFindings(location: ProxyLocation, options: RuleOptions): Finding[] {
  const findings: Finding[] = [];
  const add = (severity: Severity, rule: string, at: Directive, message: string, fix: string) => {
    findings.push({
      severity,
      rule,
      file: at.file,
      line: at.line,
      message,
      fix,
      location: location.label,
    });
  };
  const { scope, proxyPass } = location;

  const buffering = effective(scope, 'proxy_buffering');
  const bufferingOn = buffering === undefined || buffering.args[0] !== 'off';
  const ignored = ignoredHeaders(effectiveList(scope, 'proxy_ignore_headers'));
  const forced = bufferingOn && ignored.header('x-accel-buffering') !== undefined;
  const bufferingWhere = buffering === undefined ? "nginx's default" : `set at ${where(buffering)}`;
  if (forced) {
    add(
      'error',
      'buffering-forced',
      ignored.header('x-accel-buffering') ?? proxyPass,
      `proxy_buffering is on (${bufferingWhere}) and proxy_ignore_headers X-Accel-Buffering stops Sluice from switching it off: events are held back and arrive in bursts or all at once`,
      'proxy_buffering off; in this location, and drop X-Accel-Buffering from proxy_ignore_headers',
    );
  } else if (bufferingOn) {
    add(
      'warning',
      'buffering-on',
      buffering ?? proxyPass,
      `proxy_buffering is on (${bufferingWhere}). Sluice's streams still flow because it sends X-Accel-Buffering: no and nginx honours it, but a response without that header (another upstream, or an nginx chained in front: the header stops at the first nginx) is held back`,
      'proxy_buffering off;',
    );
  } else if (ignored.header('x-accel-buffering') !== undefined) {
    add(
      'note',
      'accel-header-ignored',
      ignored.header('x-accel-buffering') ?? proxyPass,
      'proxy_ignore_headers X-Accel-Buffering is harmless while proxy_buffering is off, but if buffering is ever switched on, Sluice can no longer switch it off per response',
      'drop X-Accel-Buffering from proxy_ignore_headers',
    );
  }

  const cache = effective(scope, 'proxy_cache');
  if (cache !== undefined && cache.args[0] !== 'off') {
    const replayed = forced && ignored.header('cache-control') !== undefined;
    add(
      replayed ? 'error' : 'warning',
      'proxy-cache',
      cache,
      replayed
        ? 'proxy_cache with buffering forced on and Cache-Control ignored: a stream can be stored and replayed, all at once, to the next user who asks the same'
        : "proxy_cache on a streaming location. nginx caches only what it buffers, and Sluice's streams are unbuffered and marked Cache-Control: no-cache, so they pass by the cache; but if buffering is ever forced on, one user's answer can be replayed to another",
      'proxy_cache off; in this location',
    );
  }

  const gzip = effective(scope, 'gzip');
  const types = effective(scope, 'gzip_types');
  if (gzip?.args[0] === 'on' && types !== undefined && coversEventStream(types.args)) {
    add(
      'warning',
      'gzip-event-stream',
      types,
      `gzip (on at ${where(gzip)}) compresses text/event-stream. Events still arrive one by one (nginx flushes its compressor after each while not buffering), but every open stream holds a compressor, and clients that do not decompress (curl without --compressed, hand-written SSE readers) see binary`,
      `remove ${types.args.includes('*') ? '*' : 'text/event-stream'} from gzip_types, or gzip off; in this location`,
    );
  }

  findings.push(...timeoutFindings(location, options));

  const version = effective(scope, 'proxy_http_version');
  if (version === undefined || version.args[0] === '1.0') {
    add(
      'warning',
      'http10-upstream',
      version ?? proxyPass,
      `nginx speaks HTTP/1.0 to Sluice (${version === undefined ? "nginx's default" : 'set here'}): streams still flow, ending when the connection closes, but every request opens a new connection and upstream keepalive cannot work`,
      'proxy_http_version 1.1; proxy_set_header Connection "";',
    );
  } else if (headerSet(scope, 'proxy_set_header', 'connection') === undefined) {
    add(
      'note',
      'connection-close',
      proxyPass,
      'proxy_http_version 1.1, but nginx still sends "Connection: close" to Sluice, so connections are not reused',
      'proxy_set_header Connection "";',
    );
  }

  if (headerSet(scope, 'proxy_set_header', 'x-forwarded-for') === undefined) {
    const lost = lostHeader(location, 'x-forwarded-for');
    add(
      'note',
      'no-forwarded-for',
      proxyPass,
      `no X-Forwarded-For reaches Sluice, so it records this nginx's address as every client's${lost}`,
      'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; and set SLUICE_TRUSTED_PROXIES to this nginx’s address',
    );
  }

  const body = effective(scope, 'client_max_body_size');
  const bodyBytes = body === undefined ? 1024 ** 2 : parseNginxSize(body.args[0] ?? '');
  if (bodyBytes !== undefined && bodyBytes !== 0 && bodyBytes < SLUICE_MAX_BODY) {
    add(
      'note',
      'body-size',
      body ?? proxyPass,
      `client_max_body_size is ${body?.args[0] ?? "1m (nginx's default)"}: nginx answers 413 to larger requests (images, audio, long conversations) before Sluice, which takes up to 32 MB, sees them`,
      'client_max_body_size 32m;',
    );
  }
  return findings;
}

function timeoutFindings(location: ProxyLocation, options: RuleOptions): Finding[] {
  const directive = effective(location.scope, 'proxy_read_timeout');
  const ms = directive === undefined ? 60_000 : parseNginxTime(directive.args[0] ?? '');
  if (ms === undefined || ms >= LONG_TIMEOUT_MS) return [];
  const keepalive = formatSeconds(options.keepaliveMs);
  const value = directive === undefined ? "60 s, nginx's default" : formatSeconds(ms);
  const at = directive ?? location.proxyPass;
  const base = { rule: 'read-timeout', file: at.file, line: at.line, location: location.label };
  const fix = 'proxy_read_timeout 3600s; proxy_send_timeout 3600s;';
  if (ms <= options.keepaliveMs) {
    return [
      {
        ...base,
        severity: 'error',
        message: `proxy_read_timeout (${value}) is not longer than Sluice's keepalive interval (${keepalive}): a stream that waits for its first token or pauses mid-answer is cut with a 504 or a truncated body`,
        fix,
      },
    ];
  }
  if (ms < 2 * options.keepaliveMs) {
    return [
      {
        ...base,
        severity: 'warning',
        message: `proxy_read_timeout (${value}) leaves little room over Sluice's keepalive interval (${keepalive}): one late keepalive and a silent stream is cut`,
        fix,
      },
    ];
  }
  // Sluice sends a keepalive comment every interval from the very start, so nginx never sees a
  // silence this long from Sluice itself: enough, but with no margin for anything slower.
  return [
    {
      ...base,
      severity: 'note',
      message: `proxy_read_timeout (${value}) is enough while Sluice's keepalive comments arrive every ${keepalive}, also before the first token; anything behind this location that pauses longer without them is cut`,
      fix,
    },
  ];
}

function ignoredHeaders(directives: readonly Directive[]) {
  return {
    header: (name: string) =>
      directives.find((d) => d.args.some((arg) => arg.toLowerCase() === name)),
  };
}

function coversEventStream(types: readonly string[]): boolean {
  return types.some((t) => t === '*' || t.toLowerCase() === 'text/event-stream');
}

/** Why an outer scope's header does not apply here, if that is the case. */
function lostHeader(location: ProxyLocation, header: string): string {
  const here = effectiveList(location.scope, 'proxy_set_header')[0];
  for (let s = location.scope.parent; s !== undefined; s = s.parent) {
    const outer = headerSet(s, 'proxy_set_header', header);
    if (outer !== undefined && here !== undefined) {
      return `. The one set at ${where(outer)} does not apply: a level with its own proxy_set_header (like ${where(here)}) inherits none from outer levels`;
    }
  }
  return '';
}

function where(directive: Directive): string {
  return `${directive.file}:${directive.line}`;
}
