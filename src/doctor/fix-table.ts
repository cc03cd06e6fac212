/**
 * The concrete fix per hop and kind of problem, from the research notes' catalogue of causes
 * (streaming-pitfalls.md §1.2). A snippet is configuration to paste, in the hop's own syntax.
 */
import type { HopId } from './fingerprints.ts';

export type FixKind =
  | 'buffering'
  | 'compression'
  | 'idle-timeout'
  | 'total-timeout'
  | 'cache'
  | 'periodic'
  | 'one-behind'
  | 'headers-held'
  | 'not-streaming'
  | 'certificate';

export interface FixEntry {
  readonly text: string;
  /**
   * The text where the hop stands between Sluice and its provider (`upstream-leg.ts`), when it
   * differs: the answers it holds there are the provider's, not Sluice's.
   */
  readonly behindSluice?: string;
  /** Where the snippet goes. */
  readonly where?: string;
  readonly snippet?: string;
}

type Table = Partial<Record<HopId, Partial<Record<FixKind, FixEntry>>>>;

const NGINX_LOCATION = 'in the nginx location (or server) that proxies to Sluice';

/** A hold before Sluice: on the way to its provider (`upstream-leg.ts`). */
const UPSTREAM_LEG: FixEntry = {
  text:
    'The answer was already held when it reached Sluice: on the way from Sluice to its ' +
    'provider. If the upstream URL is a relay or a reverse proxy of the API, turn response ' +
    'buffering off on it and on any proxy in front of it (nginx there: proxy_buffering off; ' +
    "the X-Accel-Buffering that turns it off for Sluice is not on the provider's answers); if " +
    "Sluice goes out through a forward proxy (HTTPS_PROXY, HTTP_PROXY or the upstream's " +
    '"proxy"), it may hold answers. To measure that way alone, run the doctor from Sluice\'s ' +
    'host against the upstream URL with its key: sluice doctor <upstream URL> --key … --model ….',
};

/** Sluice's own forward proxy, named when an admin's stream says Sluice goes through one. */
const EGRESS_PROXY: FixEntry = {
  text:
    'Sluice goes out to this upstream through a forward proxy. Through a CONNECT tunnel (https) ' +
    'it relays bytes it cannot read, unless it intercepts TLS; over plain http, or intercepting, ' +
    'it can hold answers whole: mitmproxy unless it streams bodies (--set ' +
    'stream_large_bodies=1), Squid through an ICAP or eCAP service, corporate gateways that ' +
    "scan content (exempt the provider's host).",
};

const nginx: Partial<Record<FixKind, FixEntry>> = {
  buffering: {
    text:
      'nginx buffers proxied responses by default (proxy_buffering on). It obeys the ' +
      'X-Accel-Buffering: no that Sluice sends, unless the config says ' +
      '`proxy_ignore_headers X-Accel-Buffering;`: remove that line or turn buffering off. ' +
      'Behind a second nginx, the inner one hides the header: add `proxy_pass_header ' +
      'X-Accel-Buffering;` there. ingress-nginx: annotation ' +
      'nginx.ingress.kubernetes.io/proxy-buffering: "off"; NGINX Inc\'s controller: ' +
      'nginx.org/proxy-buffering: "False".',
    behindSluice:
      'nginx buffers proxied responses by default (proxy_buffering on). Sluice turns that off ' +
      "for its own answers with X-Accel-Buffering: no, but the provider's answers carry no such " +
      'header: turn buffering off in the location that proxies to the provider.',
    where: NGINX_LOCATION,
    snippet:
      'proxy_buffering off;\nproxy_cache off;\nproxy_http_version 1.1;\nproxy_set_header Connection "";',
  },
  compression: {
    text:
      'nginx gzip covers text/event-stream (gzip_types lists it, or "*"). Turn gzip off where ' +
      'Sluice streams, or keep text/event-stream out of gzip_types.',
    where: NGINX_LOCATION,
    snippet: 'gzip off;',
  },
  'idle-timeout': {
    text:
      'nginx ends a proxied response when Sluice sends nothing for proxy_read_timeout (60 s by ' +
      'default). Raise it where Sluice streams; ingress-nginx: annotations ' +
      'nginx.ingress.kubernetes.io/proxy-read-timeout: "3600" and proxy-send-timeout: "3600". ' +
      'X-Accel-Buffering does not change timeouts.',
    where: NGINX_LOCATION,
    snippet: 'proxy_read_timeout 3600s;\nproxy_send_timeout 3600s;',
  },
  cache: {
    text:
      'nginx proxy_cache stored the stream and replays it. Switch caching off where Sluice ' +
      'streams, and do not `proxy_ignore_headers Cache-Control`: Sluice marks streams no-cache.',
    where: NGINX_LOCATION,
    snippet: 'proxy_cache off;',
  },
};

export const FIX_TABLE: Table = {
  nginx,
  openresty: nginx,
  apache: {
    buffering: {
      text:
        'mod_proxy_http streams by default, so another module holds the body: mod_buffer ' +
        '(SetOutputFilter BUFFER), mod_h2 without FLUSH buckets (compare HTTP/1.1 with HTTP/2), ' +
        'or an AJP/FCGI backend without `flushpackets=on` on the ProxyPass line.',
    },
    compression: {
      text:
        'mod_deflate compresses the event stream. Drop text/event-stream from ' +
        "AddOutputFilterByType DEFLATE, or mark Sluice's routes no-gzip.",
      where: 'in the Apache server or virtual host that proxies to Sluice',
      snippet: 'SetEnvIf Request_URI "^/(v1|api|sluice)/" no-gzip',
    },
    'idle-timeout': {
      text:
        'Apache ends a proxied response when the backend sends nothing for ProxyTimeout (which ' +
        'defaults to Timeout, 60 s); its error log says AH01110 "error reading response". Raise ' +
        'it for Sluice (or `timeout=` on the ProxyPass line).',
      where: 'in the Apache server or virtual host that proxies to Sluice',
      snippet: 'ProxyTimeout 3600',
    },
  },
  caddy: {
    compression: {
      text:
        "Caddy's encode compresses the event stream and (Caddy 2.6) does not flush the " +
        'compressor per event. Keep text/event-stream out of encode with a response matcher ' +
        'that lists only what to compress (caddyserver/caddy#6293).',
      where: 'in the Caddy site block, instead of the plain `encode` line',
      snippet:
        'encode {\n\tgzip\n\tmatch {\n\t\theader Content-Type text/html*\n\t\theader Content-Type ' +
        'text/css*\n\t\theader Content-Type text/plain*\n\t\theader Content-Type ' +
        'application/json*\n\t\theader Content-Type application/javascript*\n\t}\n}',
    },
    buffering: {
      text:
        "Caddy's reverse_proxy flushes text/event-stream at once; for other streamed content " +
        'types set flush_interval -1.',
      where: 'inside reverse_proxy { … }',
      snippet: 'flush_interval -1',
    },
  },
  haproxy: {
    'idle-timeout': {
      text:
        'HAProxy closes a stream after `timeout server` / `timeout client` without traffic (50 s ' +
        'in the stock config); `timeout tunnel` does not cover SSE. Raise them for Sluice.',
      where: 'in the HAProxy backend (server) and frontend or defaults (client) that carry Sluice',
      snippet: 'timeout server 1h\ntimeout client 1h',
    },
    periodic: {
      text:
        'HAProxy sends HTTP bodies with MSG_MORE unless told otherwise, so the kernel holds small ' +
        'writes up to 200 ms (tcp(7), TCP_CORK) waiting for more: events leave in batches.',
      where: 'in the HAProxy defaults, frontend or backend that carries Sluice',
      snippet: 'option http-no-delay',
    },
    compression: {
      text: 'HAProxy compresses the event stream: drop text/event-stream from `compression type`.',
    },
  },
  varnish: {
    buffering: {
      text:
        'Varnish fetched the whole body before delivering it (beresp.do_stream false). Keep ' +
        'do_stream on (the default since Varnish 4), or bypass Varnish for streaming paths with ' +
        '`return (pipe);` in vcl_recv.',
      where: 'at the end of sub vcl_backend_response',
      snippet: 'set beresp.do_stream = true;',
    },
    cache: {
      text:
        'Varnish cached the event stream and replays it. Sluice marks streams Cache-Control: ' +
        'no-cache, so the VCL overrides it (a forced TTL): never cache text/event-stream, or ' +
        '`return (pass);` in vcl_recv for /v1/, /api/ and /sluice/.',
      where: 'at the top of sub vcl_backend_response',
      snippet:
        'if (beresp.http.Content-Type ~ "text/event-stream") {\n  set beresp.uncacheable = true;\n  return (deliver);\n}',
    },
    'idle-timeout': {
      text: 'Varnish gives up after between_bytes_timeout (60 s by default) without a byte.',
      where: 'in sub vcl_backend_fetch',
      snippet: 'set bereq.between_bytes_timeout = 3600s;',
    },
  },
  cloudflare: {
    buffering: {
      text:
        'Cloudflare can buffer response bodies: set the Configuration Rule "response body ' +
        'buffering" to none for streaming paths. Through Cloudflare Tunnel only text/event-stream ' +
        '(and gRPC) flows as it comes, and Quick Tunnels buffer SSE over GET: use a named tunnel.',
    },
    compression: {
      text: 'Cloudflare compresses the stream: add a Compression Rule that disables it for text/event-stream.',
    },
    'idle-timeout': {
      text:
        "Cloudflare answers 524 when the origin sends nothing for 100–120 s. Keep Sluice's " +
        'keepalive (SLUICE_KEEPALIVE, default 15 s) well below that; Enterprise plans can raise ' +
        'the proxy read timeout.',
    },
    cache: {
      text: 'A Cache Rule stores the stream: bypass the cache for /v1/*, /api/* and /sluice/*.',
    },
  },
  cloudfront: {
    'idle-timeout': {
      text:
        "CloudFront's origin response timeout (30 s by default) cut the stream: raise it on the " +
        "origin and keep Sluice's keepalive below it.",
    },
    cache: { text: 'Use the CachingDisabled cache policy for the streaming behaviours.' },
  },
  'aws-alb': {
    'idle-timeout': {
      text:
        'The ALB idle timeout (60 s by default) cut the stream: raise idle_timeout.timeout_seconds ' +
        "(1–4000) and keep Sluice's keepalive below it.",
    },
    buffering: {
      text: 'Lambda targets behind an ALB do not stream; use a Lambda Function URL with RESPONSE_STREAM.',
    },
  },
  'aws-api-gateway': {
    buffering: {
      text:
        'API Gateway REST integrations buffer by default (BUFFERED mode: 29 s, 10 MB). Set the ' +
        "integration's responseTransferMode to STREAM, or use a Lambda Function URL with " +
        'InvokeMode RESPONSE_STREAM (awslambda.streamifyResponse).',
    },
    'total-timeout': {
      text: 'BUFFERED integrations end at 29 s; STREAM mode allows up to 15 min.',
    },
  },
  google: {
    'total-timeout': {
      text:
        "The Google Cloud load balancer's backend timeout (30 s by default) ends responses " +
        'however busy they are: raise timeoutSec (BackendConfig on GKE). Cloud Run: --timeout up ' +
        'to 3600.',
    },
  },
  vercel: {
    buffering: {
      text: 'Pages Router API routes do not stream on Vercel: serve the stream from an App Router Route Handler.',
    },
    'total-timeout': {
      text: 'Vercel functions end at maxDuration: raise it, and send bytes within 25 s on Edge.',
    },
  },
  netlify: {
    buffering: {
      text: 'Synchronous Netlify Functions return whole bodies: use streaming or edge functions.',
    },
  },
  fly: {
    compression: {
      text:
        'The Fly.io proxy compresses and buffers: send the stream with an explicit ' +
        'Content-Encoding so the proxy passes it through.',
    },
  },
  iis: {
    buffering: {
      text:
        'IIS/ARR buffers responses: set ARR responseBufferLimit="0", and in ASP.NET Core call ' +
        'IHttpResponseBodyFeature.DisableBuffering().',
    },
    compression: {
      text:
        'IIS dynamic compression holds events: disable it for the SSE path, or send ' +
        'Content-Encoding: identity so IIS leaves the body alone.',
    },
    'one-behind': {
      text:
        'IIS / the ASP.NET Core Module delivers each event when the next is written: disable ' +
        'dynamic compression for the SSE path and response buffering (responseBufferLimit="0").',
    },
  },
  envoy: {
    'total-timeout': {
      text: "Envoy's route timeout (15 s by default) counts the whole response: set `timeout: 0s` on streaming routes.",
    },
  },
  squid: {
    'idle-timeout': {
      text:
        'Squid aborts a response when the server sends nothing for read_timeout (15 minutes by ' +
        'default; cache.log and the error page say ERR_READ_TIMEOUT), whatever X-Accel-Buffering ' +
        'says. Raise it above the longest silence a stream may have.',
      where: 'in squid.conf',
      snippet: 'read_timeout 60 minutes',
    },
    'total-timeout': {
      text:
        'Squid ends a response that grows past reply_body_max_size: a cut after a fixed number ' +
        'of bytes, not seconds (rerun with another --pad: the cut moves with the size). ' +
        'client_lifetime (1 day by default) also ends any connection that lasts longer.',
      where: 'in squid.conf',
      snippet: 'reply_body_max_size none',
    },
    buffering: {
      text:
        'Squid relays a body as it arrives; what holds one back is an ICAP or eCAP service that ' +
        'scans responses (antivirus, content filters read the whole body before letting it ' +
        'through): exempt event streams with an `adaptation_access <service> deny` rule on ' +
        '`acl sse rep_mime_type -i ^text/event-stream`.',
    },
    cache: {
      text: 'Squid cached the stream: `cache deny` the streaming paths.',
      where: 'in squid.conf, before any other cache rule',
      snippet: 'acl sluice_streams urlpath_regex ^/(v1|api|sluice)/\ncache deny sluice_streams',
    },
  },
  lighttpd: {
    buffering: {
      text:
        'lighttpd holds a proxied response until it is complete and then sends it with a ' +
        'Content-Length (server.stream-response-body = 0, the default; lighttpd ignores ' +
        'X-Accel-Buffering). 2 sends each piece as it comes (1 streams too, but may spool to ' +
        'temporary files for a slow client). server.stream-request-body = 2 does the same for ' +
        'request bodies, which lighttpd otherwise reads whole before it calls Sluice.',
      where: 'in lighttpd.conf, globally or in the $HTTP["url"] block that proxies to Sluice',
      snippet: 'server.stream-response-body = 2\nserver.stream-request-body = 2',
    },
    'idle-timeout': {
      text:
        'lighttpd drops a response when nothing has been written to the client for ' +
        'server.max-write-idle (360 s by default), and mod_proxy when Sluice sends nothing for ' +
        'the "read-timeout" of its proxy.server entry (no limit unless set). Raise both above ' +
        'the longest silence a stream may have.',
      where: 'in lighttpd.conf (and "read-timeout" => 3600 in the proxy.server entry, if set)',
      snippet: 'server.max-write-idle = 3600',
    },
  },
  h2o: {
    'idle-timeout': {
      text:
        "H2O's proxy gives up when Sluice sends nothing for proxy.timeout.io (30 s by default, " +
        'in milliseconds) and ends the stream mid-body. Raise it where H2O proxies to Sluice.',
      where: 'in h2o.conf, in the path (or host) with proxy.reverse.url',
      snippet: 'proxy.timeout.io: 3600000',
    },
  },
  'forward-proxy': {
    buffering: {
      text:
        'The forward proxy the doctor went through names itself nowhere, and may be what holds ' +
        'the stream: run the doctor again with it bypassed (NO_PROXY=<the host> in the ' +
        'environment), if the host can be reached without it. mitmproxy holds every response ' +
        'whole unless it streams bodies (the option here, or flow.response.stream = True in a ' +
        'responseheaders hook); Squid holds one only through an ICAP or eCAP service; ' +
        'corporate web gateways (Zscaler, Blue Coat, Sophos) scan whole bodies: ask for the ' +
        'host to be exempt from content scanning.',
      where: "on mitmproxy's command line (or stream_large_bodies: 1 in ~/.mitmproxy/config.yaml)",
      snippet: '--set stream_large_bodies=1',
    },
    'idle-timeout': {
      text:
        'The forward proxy the doctor went through names itself nowhere, and may be what ends ' +
        'silent streams: raise its idle (read) timeout above the longest silence, or run the ' +
        'doctor with it bypassed (NO_PROXY=<the host>) to compare.',
    },
  },
  'upstream-leg': {
    buffering: UPSTREAM_LEG,
    'not-streaming': UPSTREAM_LEG,
    periodic: UPSTREAM_LEG,
  },
  'egress-proxy': {
    buffering: EGRESS_PROXY,
    'not-streaming': EGRESS_PROXY,
  },
  express: {
    compression: {
      text:
        'compression() middleware holds output in zlib (16 KiB) until res.flush(): filter out ' +
        'text/event-stream, or rely on Cache-Control: no-transform, which it honours.',
    },
  },
  nextjs: {
    buffering: {
      text:
        'Next.js rewrites() buffer SSE when the browser sends Accept-Encoding: proxy the stream ' +
        'through a Route Handler that pipes the body instead.',
    },
  },
};
