/**
 * The HTTP front: routes, authentication, errors into responses, one log line per request,
 * and a drain that lets open streams finish on SIGTERM.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AdminApi } from '../admin/index.ts';
import type { ChatApi } from '../chat/index.ts';
import type { MetricsConfig } from '../config/index.ts';
import { openaiGeneric } from '../dialects/index.ts';
import {
  ClientClosedError,
  MethodNotAllowedError,
  type SluiceError,
  UnknownUrlError,
} from '../errors/index.ts';
import { endpointFor, type Gateway } from '../gateway/index.ts';
import {
  allowCors,
  answerPreflight,
  BodyBudget,
  checkRequestTarget,
  requestUrl,
  type ClientIpResolver,
  type CorsOrigins,
  guardBody,
  isPreflight,
  lingerOnClose,
  releaseBody,
  sendError,
  sendJson,
  toSluiceError,
} from '../http/index.ts';
import type { Logger } from '../log/index.ts';
import { parseProbeParams, type Probe } from '../probe/index.ts';
import {
  type Exposition,
  type LiveState,
  type MetricsAccess,
  serveMetrics,
  type SluiceMetrics,
} from '../telemetry/index.ts';
import type { Upstream } from '../upstream/index.ts';
import { MetricsListener } from './metrics.ts';
import { serveStatic } from './static.ts';

/**
 * Connections the kernel may hold for Sluice to accept: as many as it allows (it caps this at
 * `net.core.somaxconn`, 4096 on Linux since 5.4), as Go's servers ask for. Node's default, 511,
 * overflows when thousands of clients connect at once: the kernel's ListenOverflows counter rose
 * by about 10 000 in one benchmark run at 5000 streams, none with this. Each overflow drops a
 * handshake's last packet, and that client waits a second or more for a retransmission.
 */
const LISTEN_BACKLOG = 65_535;

export interface ServerOptions {
  readonly gateway: Gateway;
  readonly probe: Probe;
  /** Users, keys and usage under `/api/admin/`. */
  readonly admin: AdminApi;
  readonly chat: ChatApi;
  readonly clientIp: ClientIpResolver;
  /** Prometheus metrics, fed by the gateway's reports; /metrics shows them. */
  readonly metrics: SluiceMetrics;
  /** Who may read /metrics (`SLUICE_METRICS_TOKEN`), and where (`SLUICE_METRICS_LISTEN`). */
  readonly metricsAccess: Pick<MetricsConfig, 'token' | 'listen'>;
  /** The upstreams now, whose health /metrics shows. */
  readonly upstreams: () => readonly Upstream[];
  /** Usage records not yet in the store, for /metrics. */
  readonly usagePending: () => number;
  readonly log: Logger;
  /** Aborted at the drain deadline. */
  readonly shutdown: AbortController;
  /** Shown on `/` and in `/healthz`. */
  readonly info: Readonly<Record<string, unknown>>;
  /** A request body silent this long gets a 408 and its connection closed. */
  readonly bodyTimeoutMs: number;
  /** Memory that request bodies in flight may hold together. */
  readonly maxBodyInflightBytes: number;
  /** Web origins whose pages may call `/v1` (`SLUICE_CORS_ORIGINS`). */
  readonly corsOrigins: CorsOrigins;
  /**
   * Set when this process is one worker of several (`--workers`): `/metrics` shows every
   * worker's, as the primary adds them up, and `SLUICE_METRICS_LISTEN` is the primary's.
   */
  readonly cluster?: { readonly exposition: () => Promise<Exposition> } | undefined;
}

/**
 * How long a connection closed after an early answer keeps reading (and dropping) the rest of
 * its request body, so the answer is not lost to a reset (`http/linger.ts`); nginx's
 * `lingering_timeout` default.
 */
const LINGER_MS = 5_000;
/** After the drain deadline, how long the streams it cut have to end (a reader that does not read, no longer). */
const AFTER_DEADLINE_MS = 10_000;

export class SluiceServer {
  readonly http: Server;
  readonly #o: ServerOptions;
  /** /metrics on its own address, when `SLUICE_METRICS_LISTEN` is set. */
  #metricsListener: MetricsListener | undefined;
  #metricsUrl: URL | undefined;
  readonly #inflight = new Set<ServerResponse>();
  readonly #bodies: BodyBudget;
  #draining = false;

  constructor(options: ServerOptions) {
    this.#o = options;
    this.#bodies = new BodyBudget(options.maxBodyInflightBytes, {
      collectAfterBytes: 64 * 1024 ** 2,
      // `sluice serve` runs with --expose-gc (bin/sluice.js); elsewhere (tests, embedding) not.
      collect: (globalThis as { gc?: () => void }).gc,
    });
    this.http = createServer(
      // Above the 60 s idle timeout of most load balancers, so they close first (no stray 502s).
      // No `requestTimeout`: it is a deadline for the whole request, which a long upload on a
      // slow link passes; a body that stalls is the body watchdog's (`guardBody`).
      { keepAliveTimeout: 65_000, headersTimeout: 60_000, requestTimeout: 0 },
      (req, res) => {
        // Every failure of a route is answered in `#handle`; anything past that is a bug, and
        // costs this request its connection, never the process and every stream in it.
        this.#handle(req, res).catch((error: unknown) => {
          this.#o.log.error('request handler failed', { error });
          res.destroy();
        });
      },
    );
  }

  async listen(port: number, host: string): Promise<URL> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const address = this.http.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const { listen } = this.#o.metricsAccess;
    if (listen !== undefined && this.#o.cluster === undefined) {
      const listener = new MetricsListener(
        this.#metricsAccess(),
        (status) => {
          this.#o.metrics.countHttp('metrics', status);
        },
        this.#o.log,
      );
      try {
        this.#metricsUrl = await listener.listen(listen.host, listen.port);
      } catch (error) {
        this.http.close();
        throw error;
      }
      this.#metricsListener = listener;
      this.#o.log.info('metrics listening', { url: this.#metricsUrl.href });
    }
    return new URL(`http://${shown}:${address.port}`);
  }

  /** Where /metrics is served apart from the main port (`SLUICE_METRICS_LISTEN`), once listening. */
  get metricsUrl(): URL | undefined {
    return this.#metricsUrl;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Stops accepting, lets requests in flight finish for up to `deadlineMs`, then ends the rest
   * (streams get an in-band "shutting down" error) and closes every connection.
   */
  async drain(deadlineMs: number): Promise<void> {
    this.#draining = true;
    this.#o.probe.close(); // nothing to finish

    const closed = new Promise<void>((resolve) =>
      this.http.close(() => {
        resolve();
      }),
    );
    this.http.closeIdleConnections();
    const idle = this.#whenIdle();
    const deadline = new Promise<'deadline'>((resolve) => {
      setTimeout(() => {
        resolve('deadline');
      }, deadlineMs).unref();
    });
    if ((await Promise.race([idle, deadline])) === 'deadline') {
      this.#o.log.warn('drain deadline reached; ending open streams', {
        open: this.#inflight.size,
      });
      this.#o.shutdown.abort();
      // Each cut stream ends once its record is written, which may wait for a usage estimate
      // (the tokenizer's thread starts on first use: over a second on a busy machine). Cut at
      // one second, they got a reset instead of their error's clean end.
      await Promise.race([
        this.#whenIdle(),
        new Promise((r) => setTimeout(r, AFTER_DEADLINE_MS).unref()),
      ]);
    }
    this.http.closeAllConnections();
    await closed;
    // Last, so that the drain itself can be watched (sluice_draining, streams open).
    await this.#metricsListener?.close();
  }

  /** Who may read /metrics, and what it shows: this process's, or every worker's. */
  #metricsAccess(): MetricsAccess {
    const { metrics } = this.#o;
    return {
      token: this.#o.metricsAccess.token,
      render:
        this.#o.cluster?.exposition ??
        (async () => ({
          contentType: metrics.contentType,
          text: await metrics.render(this.live()),
        })),
    };
  }

  /** What /metrics shows as in flight now. */
  live(): LiveState {
    return {
      streams: this.#o.gateway.stats,
      usagePending: this.#o.usagePending(),
      bodyBytes: this.#bodies.inUse,
      upstreams: this.#o.upstreams(),
      draining: this.#draining,
    };
  }

  #whenIdle(): Promise<void> {
    if (this.#inflight.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        this.http.closeIdleConnections();
        if (this.#inflight.size === 0) resolve();
      };
      for (const res of this.#inflight)
        res.once('close', () => {
          setImmediate(check);
        });
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let url = NOWHERE;
    let unroutable: SluiceError | undefined;
    try {
      url = requestUrl(req.url ?? '/');
    } catch (error) {
      unroutable = toSluiceError(error);
    }
    const route = unroutable === undefined ? routeOf(url.pathname) : 'page';
    this.#inflight.add(res);
    res.once('close', () => {
      this.#inflight.delete(res);
      releaseBody(req);
    });
    if (this.#draining) res.setHeader('connection', 'close');
    lingerOnClose(req, LINGER_MS);
    const answered = this.#guardBody(req, res, route, url, started);
    // What the request line says about it, filled in by the route (a refused one's too).
    const fields: Record<string, unknown> = {};
    try {
      if (unroutable !== undefined) {
        fields.target = req.url?.slice(0, 256);
        throw unroutable;
      }
      await this.#route(route, url, req, res, fields);
    } catch (thrown) {
      const error = toSluiceError(thrown);
      fields.error = error;
      if (answered.byStall) {
        // The body stalled while the route was busy elsewhere; its 408 has gone out.
        this.#o.log.debug('request ended after its body timed out', {
          path: url.pathname,
          ...fields,
        });
        return;
      }
      this.#fail(req, res, route, url, error, fields.request_id);
    }
    if (answered.byStall) return;
    this.#logRequest(req, res, route, url, started, fields);
  }

  /** The one error path: the error in the caller's dialect, or a cut if the answer began. */
  #fail(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    url: URL,
    error: SluiceError,
    requestId?: unknown,
  ): void {
    if (error.status >= 500)
      this.#o.log.error('request failed', { request_id: requestId, error, cause: error.cause });
    if (error instanceof ClientClosedError) {
      // Nobody to answer; the status is for the log line and the metrics.
      res.statusCode = error.status;
      res.destroy();
    } else if (res.headersSent) res.destroy(error);
    else
      sendError(
        res,
        error,
        route === 'v1' ? endpointFor(url.pathname, req.headers).dialect : openaiGeneric,
      );
  }

  #logRequest(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    url: URL,
    started: number,
    fields: Record<string, unknown>,
  ): void {
    // A /v1 request's is its record's: 499 when the client left before any answer.
    const status = typeof fields.status === 'number' ? fields.status : res.statusCode;
    this.#o.metrics.countHttp(route, status);
    // Probes and scrapes come every few seconds: their lines are for debugging only.
    const level = route === 'health' || route === 'metrics' ? 'debug' : 'info';
    this.#o.log[level]('request', {
      method: req.method,
      path: url.pathname,
      status,
      ms: Math.round(performance.now() - started),
      ...fields,
    });
  }

  /**
   * The body's rules, before anything else, whatever the route (issue #11: bodies that never
   * came held connections for good, before authentication too). A stall while a reader waits
   * fails that reader, and its 408 comes out of the route; a stall nobody reads is answered
   * here, in the one error path, and the route, still busy elsewhere, ends unheard. After the
   * answer there is no one to tell: the connection goes.
   */
  #guardBody(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    url: URL,
    started: number,
  ): { byStall: boolean } {
    const answered = { byStall: false };
    guardBody(req, {
      timeoutMs: this.#o.bodyTimeoutMs,
      budget: this.#bodies,
      onStall: (error) => {
        if (res.headersSent) {
          this.#o.log.debug('request body stalled after the answer; connection closed', {
            path: url.pathname,
          });
          req.socket.destroy();
          return;
        }
        answered.byStall = true;
        this.#fail(req, res, route, url, error);
        this.#logRequest(req, res, route, url, started, { error });
      },
    });
    return answered;
  }

  async #route(
    route: Route,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
    fields: Record<string, unknown>,
  ): Promise<void> {
    // The gateway checks its own, so that a refused /v1 request is recorded like any other.
    if (route !== 'v1') checkRequestTarget(req.url ?? '/');
    switch (route) {
      case 'health':
        if (url.pathname === '/readyz' && this.#draining)
          sendJson(res, 503, { status: 'draining' });
        else
          sendJson(res, 200, {
            status: url.pathname === '/readyz' ? 'ready' : 'ok',
            ...this.#o.info,
          });
        return;
      case 'metrics':
        // With a listener of its own, /metrics is there and only there.
        if (this.#o.metricsAccess.listen !== undefined)
          throw new UnknownUrlError(req.method ?? 'GET', url.pathname);
        await serveMetrics(req, res, this.#metricsAccess());
        return;
      case 'probe':
        requireMethod(req, 'GET');
        await this.#o.probe.serve(res, parseProbeParams(url.searchParams), this.#o.clientIp(req));
        return;
      case 'v1': {
        const { origin } = req.headers;
        if (origin !== undefined) {
          if (isPreflight(req)) {
            answerPreflight(req, res, this.#o.corsOrigins);
            return;
          }
          allowCors(res, this.#o.corsOrigins, origin);
        }
        const { record, refused } = await this.#o.gateway.handle(
          req,
          res,
          url.pathname + url.search,
          this.#o.clientIp(req),
        );
        Object.assign(fields, {
          status: record.status,
          request_id: record.id,
          key: record.keyPrefix,
          user: record.username,
          ip: record.clientIp,
          model: record.model,
          upstream: record.upstream,
          end_reason: record.endReason,
          events: record.events,
          client_ttfb_ms: record.clientTtfbMs,
          client_ttft_ms: record.clientTtftMs,
          max_gap_ms: record.maxGapMs,
          tokens: record.promptTokens + record.completionTokens,
          usage: record.usageSource,
        });
        if (refused !== undefined) throw toSluiceError(refused);
        return;
      }
      case 'admin':
        // Keys shown once, users, the request log: nothing a cache may keep.
        res.setHeader('cache-control', 'no-store');
        Object.assign(fields, await this.#o.admin.handle(req, res, url));
        return;
      case 'api':
        // A session's CSRF token, conversations: the same (a stream sets its own).
        res.setHeader('cache-control', 'no-store');
        Object.assign(fields, await this.#o.chat.handle(req, res, url));
        return;
      case 'page':
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          throw new UnknownUrlError(req.method ?? 'GET', url.pathname);
        }
        await serveStatic(req, res, url.pathname);
        return;
    }
  }
}

type Route = 'health' | 'metrics' | 'probe' | 'v1' | 'admin' | 'api' | 'page';

/** Where a request whose target is no URL is logged (its target is in the line too). */
const NOWHERE = new URL('http://sluice.invalid/');

function routeOf(path: string): Route {
  if (path === '/healthz' || path === '/readyz') return 'health';
  if (path === '/metrics') return 'metrics';
  if (path === '/sluice/probe') return 'probe';
  if (path === '/v1' || path.startsWith('/v1/')) return 'v1';
  if (path === '/api/admin' || path.startsWith('/api/admin/')) return 'admin';
  if (path === '/api' || path.startsWith('/api/')) return 'api';
  return 'page';
}

function requireMethod(req: IncomingMessage, method: string): void {
  if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
    throw new MethodNotAllowedError([method], requestUrl(req.url ?? '/').pathname);
  }
}
