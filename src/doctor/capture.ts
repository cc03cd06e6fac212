/**
 * The doctor's I/O edge: one request, timed in detail. node:http rather than fetch, because fetch
 * hides the socket: here DNS, connect, TLS, headers, every read and every event get a timestamp
 * from one monotonic clock. The body is asked for compressed, as a browser would, so a hop that
 * compresses shows itself; it is decompressed here, after the read sizes are recorded.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { TLSSocket } from 'node:tls';
import { SseParser } from '../sse/index.ts';
import { decoderFor } from './decode.ts';
import { eventRecord } from './event-record.ts';
import type {
  CaptureMode,
  EndKind,
  EventRecord,
  Phases,
  ProbeShape,
  ReadRecord,
  Timeline,
} from './timeline.ts';

export interface CaptureRequest {
  readonly url: URL;
  readonly mode: CaptureMode;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly probe?: ProbeShape;
  /** The whole capture, connect to end; the stream is then closed and recorded as `timeout`. */
  readonly timeoutMs: number;
  /** An HTTP forward proxy to go through (CONNECT for https), as HTTPS_PROXY/HTTP_PROXY say. */
  readonly proxy?: string;
}

const BODY_HEAD_BYTES = 2048;

/** Runs one request and records its timeline; never rejects (failures are timeline ends). */
export function capture(request: CaptureRequest): Promise<Timeline> {
  const t0 = performance.now();
  const startedEpochMs = Date.now();
  const now = (): number => Math.round((performance.now() - t0) * 100) / 100;

  const phases: { -readonly [K in keyof Phases]: Phases[K] } = {};
  const reads: ReadRecord[] = [];
  const events: EventRecord[] = [];
  const comments: number[] = [];
  let doneMs: number | undefined;
  let status: number | undefined;
  let headers: Record<string, string> = {};
  let tlsIssuer: string | undefined;
  let bodyHead = '';
  let keepHead = false;
  let readOpen = false;

  return new Promise<Timeline>((resolve) => {
    let settled = false;
    const finish = (kind: EndKind, t: number, error?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (agent !== false) agent.destroy();
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      const message = error instanceof Error ? error.message : undefined;
      resolve({
        url: request.url.href,
        mode: request.mode,
        ...(request.probe === undefined ? {} : { probe: request.probe }),
        startedEpochMs,
        phases: { ...phases },
        ...(status === undefined ? {} : { status }),
        headers,
        ...(tlsIssuer === undefined ? {} : { tlsIssuer }),
        reads,
        events,
        comments,
        ...(doneMs === undefined ? {} : { doneMs }),
        end: {
          kind,
          t,
          ...(code === undefined ? {} : { code }),
          ...(message === undefined ? {} : { message }),
        },
        ...(keepHead && bodyHead !== '' ? { bodyHead } : {}),
      });
    };

    const client = request.url.protocol === 'https:' ? https : http;
    // A fresh connection either way, so connect and TLS times are this request's own; through
    // a proxy, "connect" is to the proxy (Node's agent speaks the proxy protocol).
    const agent =
      request.proxy === undefined
        ? false
        : new client.Agent({
            keepAlive: false,
            proxyEnv: { HTTP_PROXY: request.proxy, HTTPS_PROXY: request.proxy },
          });
    const req = client.request(request.url, {
      method: request.method,
      headers: request.headers,
      agent,
    });
    const timer = setTimeout(() => {
      finish('timeout', now());
    }, request.timeoutMs);

    req.once('socket', (socket) => {
      socket.once('lookup', () => {
        phases.dnsMs = now();
      });
      socket.once('connect', () => {
        phases.connectMs = now();
      });
      socket.once('secureConnect', () => {
        phases.tlsMs = now();
        if (!(socket instanceof TLSSocket)) return;
        const issuer = socket.getPeerCertificate().issuer as
          { O?: string; CN?: string } | undefined;
        const name = issuer?.O ?? issuer?.CN;
        if (name !== undefined) tlsIssuer = name;
      });
      socket.once('data', () => {
        phases.firstByteMs ??= now();
      });
    });
    // Set once a body is being read: a broken connection then ends the body, after the
    // decompressor has handed over what it holds.
    let breakBody: ((error: unknown) => void) | undefined;
    req.once('error', (error) => {
      if (breakBody === undefined)
        finish(status === undefined ? 'unreachable' : 'reset', now(), error);
      else breakBody(error);
    });

    req.once('response', (res) => {
      phases.headersMs = now();
      status = res.statusCode;
      headers = flatHeaders(res.headers);
      const isEventStream = (headers['content-type'] ?? '')
        .toLowerCase()
        .startsWith('text/event-stream');
      keepHead = !isEventStream || (status ?? 0) >= 300;

      const parser = new SseParser((event) => {
        if (settled) return;
        const t = now();
        if (event.data === undefined) comments.push(t);
        else if (event.data === '[DONE]') doneMs ??= t;
        else events.push(eventRecord(event, t, reads.length - 1, events.length, request.mode));
      });
      const decoder = decoderFor(headers['content-encoding']);
      decoder.on('data', (chunk: Buffer) => {
        if (keepHead && bodyHead.length < BODY_HEAD_BYTES) {
          bodyHead += chunk.toString('utf8', 0, Math.min(chunk.length, BODY_HEAD_BYTES));
          bodyHead = bodyHead.slice(0, BODY_HEAD_BYTES);
        }
        if (isEventStream) parser.push(chunk);
      });
      // How the body ended, kept until the decompressor has handed over its last events.
      let bodyEnd: { kind: EndKind; t: number; error?: unknown } | undefined;
      const endBody = (kind: EndKind, error?: unknown): void => {
        if (bodyEnd !== undefined) return;
        bodyEnd = { kind, t: now(), error };
        decoder.end();
      };
      breakBody = (error) => {
        endBody('reset', error);
      };
      decoder.once('error', (error) => {
        finish('reset', bodyEnd?.t ?? now(), bodyEnd?.error ?? error);
      });
      decoder.once('end', () => {
        const kind = bodyEnd?.kind === 'reset' ? 'reset' : doneMs === undefined ? 'eof' : 'done';
        finish(kind, bodyEnd?.t ?? now(), bodyEnd?.error);
      });

      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        // One socket read can hold several HTTP chunks, each its own 'data' call within the
        // same turn: count them as one read, which is what a buffering hop released at once.
        if (readOpen) {
          const last = reads.pop();
          if (last !== undefined) reads.push({ t: last.t, bytes: last.bytes + chunk.length });
        } else {
          readOpen = true;
          reads.push({ t: now(), bytes: chunk.length });
          queueMicrotask(() => {
            readOpen = false;
          });
        }
        decoder.write(chunk);
      });
      res.once('end', () => {
        endBody('eof');
      });
      res.once('error', (error) => {
        endBody('reset', error);
      });
      res.once('close', () => {
        if (!res.complete) endBody('reset', new Error('the connection closed mid-body'));
      });
    });

    if (request.body !== undefined) req.end(request.body);
    else req.end();
  });
}

function flatHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
