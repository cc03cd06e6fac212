/**
 * A fake model provider for tests: a real HTTP server on loopback whose responses each test
 * scripts (see chat-fixtures.ts for the recorded provider streams it replays). It records what
 * Sluice sent it and when Sluice hung up.
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createSecureServer, type Http2Session } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface UpstreamCall {
  readonly method: string;
  readonly path: string;
  /** `1.1`, or `2.0` when Sluice spoke HTTP/2 (`http2` below). */
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The JSON body, or undefined. */
  readonly json: Record<string, unknown> | undefined;
  readonly res: ServerResponse;
  /** Resolves when Sluice closes the connection before the response finished. */
  readonly aborted: Promise<void>;
}

export type Script = (call: UpstreamCall) => void | Promise<void>;

export interface FakeUpstream {
  /** `http://127.0.0.1:PORT` — give it to Sluice as BASE_URL. */
  readonly origin: string;
  readonly calls: UpstreamCall[];
  /** Replaces the script for the calls that follow. */
  script(script: Script): void;
  /** The calls made under the current script, one per call, in order; waits for one if needed. */
  nextCall(): Promise<UpstreamCall>;
  stop(): Promise<void>;
}

export interface FakeUpstreamOptions {
  /** Serve HTTPS with this certificate (the test must trust it: tls.setDefaultCACertificates). */
  readonly tls?: { readonly key: string; readonly cert: string };
  /**
   * With `tls`: offer HTTP/2 by ALPN, preferred to HTTP/1.1, as the big providers' fronts do
   * (node:http2's compatibility API: `res` is an Http2ServerResponse, typed as a response).
   */
  readonly http2?: boolean;
}

export async function startFakeUpstream(
  initial: Script = notScripted,
  options: FakeUpstreamOptions = {},
): Promise<FakeUpstream> {
  let current = initial;
  const calls: UpstreamCall[] = [];
  const waiting: ((call: UpstreamCall) => void)[] = [];
  let taken = 0;

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  };
  const sessions = new Set<Http2Session>();
  const server =
    options.tls === undefined
      ? createServer(onRequest)
      : options.http2 === true
        ? createSecureServer({ ...options.tls, allowHTTP1: true }, onRequest as never).on(
            'session',
            (session: Http2Session) => {
              sessions.add(session);
              session.on('close', () => sessions.delete(session));
            },
          )
        : createHttpsServer(options.tls, onRequest);
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const aborted = new Promise<void>((resolve) => {
      res.on('close', () => {
        // An HTTP/2 response reads as finished once its stream closes, however it closed.
        if (req.httpVersion === '2.0' ? !res.writableEnded : !res.writableFinished) resolve();
      });
    });
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    } catch {
      // The request broke off before its body ended (Sluice abandoned an upload): no call.
      return;
    }
    const body = Buffer.concat(chunks);
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(body.toString()) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    const call: UpstreamCall = {
      method: req.method ?? '',
      path: req.url ?? '',
      httpVersion: req.httpVersion,
      headers: req.headers,
      body,
      json,
      res,
      aborted,
    };
    calls.push(call);
    const waiter = waiting.shift();
    if (waiter) {
      taken++;
      waiter(call);
    }
    try {
      await current(call);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    }
  }
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    calls,
    script(script) {
      current = script;
      taken = calls.length;
    },
    nextCall() {
      const pending = calls[taken];
      if (pending !== undefined) {
        taken++;
        return Promise.resolve(pending);
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    async stop() {
      if ('closeAllConnections' in server) server.closeAllConnections();
      for (const session of sessions) session.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

function notScripted(call: UpstreamCall): void {
  call.res.writeHead(500, { 'content-type': 'application/json' });
  call.res.end(JSON.stringify({ error: { message: 'fake upstream: no script for this test' } }));
}

export function sseHead(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  // An HTTP/2 response (`http2` above) has no flushHeaders: its writeHead sends them.
  (res as Partial<ServerResponse>).flushHeaders?.();
}

/** Writes `events` one write each, waiting for drain when the socket is full. */
export async function writeEvents(res: ServerResponse, events: readonly string[]): Promise<void> {
  for (const event of events) {
    if (res.destroyed) return;
    if (!res.write(event)) await once(res, 'drain');
  }
}

export function jsonReply(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Script {
  return ({ res }) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

/** A manually resolved promise, for tests that hand control back and forth with the fake. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
