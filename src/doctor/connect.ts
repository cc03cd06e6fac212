/**
 * The capture's connection, opened by hand rather than by an Agent: so its DNS, connect and TLS
 * times are this request's own, ALPN decides between HTTP/1.1 and HTTP/2, and a certificate is
 * checked before a single byte of the request (an API key, in chat mode) is written. Through an
 * HTTP forward proxy, plain HTTP/1.1 goes in absolute form and everything else through CONNECT.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { CertificateError } from '../errors/index.ts';
import type { CertificateSummary } from './certificate.ts';

export type Protocol = 'http/1.1' | 'h2';

export interface ConnectOptions {
  readonly url: URL;
  /** `http://[user:pass@]host:port` of a forward proxy. */
  readonly proxy?: string;
  readonly http2: boolean;
  /** PEM certificates trusted beside the system's. */
  readonly ca?: string;
  /** Do not refuse a certificate that fails verification. */
  readonly insecure: boolean;
}

export interface Connection {
  readonly socket: Duplex;
  readonly protocol: Protocol;
  /** A plain-HTTP proxy: the request line carries the absolute URL. */
  readonly absoluteForm: boolean;
  /** Authorization for that proxy, to send with the request. */
  readonly proxyAuthorization?: string;
  readonly certificate?: CertificateSummary;
  readonly tlsIssuer?: string;
}

export interface ConnectHooks {
  /** A phase was reached, in order: dnsMs, connectMs, tlsMs. */
  mark(phase: 'dnsMs' | 'connectMs' | 'tlsMs'): void;
  /** Every socket opened, so the caller can destroy them on a deadline. */
  track(socket: Duplex): void;
}

export async function connect(options: ConnectOptions, hooks: ConnectHooks): Promise<Connection> {
  const { url } = options;
  const secure = url.protocol === 'https:';
  const proxy = options.proxy === undefined ? undefined : new URL(options.proxy);
  const first = proxy ?? url;
  let socket: Duplex = await tcp(first, hooks);
  if (proxy?.protocol === 'https:') {
    socket = (await handshake(socket, proxy, ['http/1.1'], options, hooks, false)).socket;
  }
  const proxyAuthorization = proxy === undefined ? undefined : basicAuth(proxy);
  const auth = proxyAuthorization === undefined ? {} : { proxyAuthorization };
  if (proxy !== undefined && !secure && !options.http2) {
    return { socket, protocol: 'http/1.1', absoluteForm: true, ...auth };
  }
  if (proxy !== undefined) socket = await tunnel(socket, url, proxyAuthorization);
  if (!secure) {
    return { socket, protocol: options.http2 ? 'h2' : 'http/1.1', absoluteForm: false };
  }
  const alpn = options.http2 ? ['h2', 'http/1.1'] : ['http/1.1'];
  const secured = await handshake(socket, url, alpn, options, hooks, true);
  return { ...secured, absoluteForm: false };
}

function defaultPort(url: URL): number {
  return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
}

/** The host without IPv6 brackets, as sockets and certificates want it. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function tcp(url: URL, hooks: ConnectHooks): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: bareHost(url), port: defaultPort(url) });
    hooks.track(socket);
    socket.once('lookup', () => {
      hooks.mark('dnsMs');
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      hooks.mark('connectMs');
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** TLS over `socket` to `url`'s host; the certificate is checked here, not by OpenSSL's callback. */
function handshake(
  socket: Duplex,
  url: URL,
  alpn: readonly string[],
  options: ConnectOptions,
  hooks: ConnectHooks,
  markPhase: boolean,
): Promise<Omit<Connection, 'absoluteForm'>> {
  const host = bareHost(url);
  return new Promise((resolve, reject) => {
    const secured = tls.connect({
      socket,
      host,
      // SNI carries names only (RFC 6066 §3); for an IP the name check still uses `host`.
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      ALPNProtocols: [...alpn],
      ...(options.ca === undefined
        ? {}
        : { ca: [...tls.getCACertificates('default'), options.ca] }),
      // Verified below, before anything is written, so the failure can name the certificate.
      rejectUnauthorized: false,
    });
    hooks.track(secured);
    secured.once('error', reject);
    secured.once('secureConnect', () => {
      if (markPhase) hooks.mark('tlsMs');
      secured.off('error', reject);
      const peer = secured.getPeerCertificate();
      const error = secured.authorized ? undefined : reasonOf(secured.authorizationError);
      const certificate = summarise(peer, error);
      if (error !== undefined && !options.insecure) {
        secured.destroy();
        reject(new CertificateError(error, certificate));
        return;
      }
      const issuer = peer.issuer as { O?: string; CN?: string } | undefined;
      const tlsIssuer = issuer?.O ?? issuer?.CN;
      resolve({
        socket: secured,
        protocol: secured.alpnProtocol === 'h2' ? 'h2' : 'http/1.1',
        certificate,
        ...(tlsIssuer === undefined ? {} : { tlsIssuer }),
      });
    });
  });
}

/** `CONNECT host:port` through the proxy on `socket`; the tunnel is the same socket. */
function tunnel(socket: Duplex, url: URL, authorization: string | undefined): Promise<Duplex> {
  const authority = `${url.hostname}:${defaultPort(url)}`;
  return new Promise((resolve, reject) => {
    const request = http.request({
      method: 'CONNECT',
      path: authority,
      headers: {
        host: authority,
        ...(authorization === undefined ? {} : { 'proxy-authorization': authorization }),
      },
      createConnection: () => socket,
    });
    request.once('error', reject);
    request.once('connect', (response, tunnelled, head) => {
      if (response.statusCode !== 200) {
        tunnelled.destroy();
        const error = new Error(
          `the proxy answered ${String(response.statusCode)} to CONNECT ${authority}`,
        ) as NodeJS.ErrnoException;
        error.code = 'ERR_PROXY_TUNNEL';
        reject(error);
        return;
      }
      if (head.length > 0) tunnelled.unshift(head);
      resolve(tunnelled);
    });
    request.end();
  });
}

/** Node types authorizationError as an Error; it is the verify code (a string) in practice. */
function reasonOf(reason: unknown): string {
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return (reason as NodeJS.ErrnoException).code ?? reason.message;
  return 'UNVERIFIED';
}

function basicAuth(proxy: URL): string | undefined {
  if (proxy.username === '') return undefined;
  const pair = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

function summarise(peer: tls.PeerCertificate, error: string | undefined): CertificateSummary {
  const name = (entity: unknown): string => {
    const fields = entity as { CN?: string; O?: string } | undefined;
    return fields?.CN ?? fields?.O ?? '(unnamed)';
  };
  const names = (peer.subjectaltname ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return {
    subject: name(peer.subject),
    issuer: name(peer.issuer),
    validFrom: peer.valid_from,
    validTo: peer.valid_to,
    names,
    ...(error === undefined ? {} : { error }),
  };
}
