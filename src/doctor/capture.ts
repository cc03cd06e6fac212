/**
 * The doctor's I/O edge: one request, timed in detail. node:http and node:http2 rather than
 * fetch, because fetch hides the socket: here DNS, connect, TLS, headers, every read and every
 * event get a timestamp from one monotonic clock. The body is asked for compressed, as a browser
 * would, so a hop that compresses shows itself; it is decompressed after the read sizes are
 * recorded. HTTP/2 only when asked (`http2`): by ALPN over TLS, by prior knowledge over http.
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { CertificateError } from '../errors/index.ts';
import { withoutCredentials } from '../upstream/index.ts';
import { connect, type Connection } from './connect.ts';
import type { ChatApi } from './apis.ts';
import { Recording } from './recording.ts';
import type { CaptureMode, ProbeShape, Timeline } from './timeline.ts';

export interface CaptureRequest {
  readonly url: URL;
  readonly mode: CaptureMode;
  /** Chat mode: the API the request speaks (absent: Chat Completions). */
  readonly api?: ChatApi;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly probe?: ProbeShape;
  /** The whole capture, connect to end; the stream is then closed and recorded as `timeout`. */
  readonly timeoutMs: number;
  /** An HTTP forward proxy to go through (CONNECT for https), as HTTPS_PROXY/HTTP_PROXY say. */
  readonly proxy?: string;
  /** Offer HTTP/2: ALPN h2 over TLS (HTTP/1.1 if the server declines), prior knowledge over http. */
  readonly http2?: boolean;
  /** PEM CA certificates to trust beside the system's (--cacert). */
  readonly ca?: string;
  /** Measure even when the certificate does not verify (--insecure). */
  readonly insecure?: boolean;
}

/** Runs one request and records its timeline; never rejects (failures are timeline ends). */
export function capture(request: CaptureRequest): Promise<Timeline> {
  return new Promise<Timeline>((resolve) => {
    const sockets: Duplex[] = [];
    let session: http2.ClientHttp2Session | undefined;
    const recording = new Recording(request, (timeline) => {
      clearTimeout(timer);
      session?.destroy();
      for (const socket of sockets) socket.destroy();
      resolve(timeline);
    });
    const timer = setTimeout(() => {
      recording.finish('timeout', recording.now());
    }, request.timeoutMs);

    connect(
      {
        url: request.url,
        ...(request.proxy === undefined ? {} : { proxy: request.proxy }),
        http2: request.http2 === true,
        ...(request.ca === undefined ? {} : { ca: request.ca }),
        insecure: request.insecure === true,
      },
      {
        mark: (phase) => {
          recording.mark(phase);
        },
        track: (socket) => {
          sockets.push(socket);
        },
      },
    ).then(
      (connection) => {
        if (recording.settled) return;
        recording.protocol = connection.protocol;
        if (connection.certificate !== undefined) recording.certificate = connection.certificate;
        if (connection.tlsIssuer !== undefined) recording.tlsIssuer = connection.tlsIssuer;
        if (request.proxy !== undefined) {
          recording.forwardProxy = {
            url: withoutCredentials(request.proxy),
            tunnel: !connection.absoluteForm,
          };
        }
        if (connection.protocol === 'h2') session = overHttp2(connection, request, recording);
        else overHttp1(connection, request, recording);
      },
      (error: unknown) => {
        if (error instanceof CertificateError) recording.certificate = error.certificate;
        recording.fail(error);
      },
    );
  });
}

function overHttp1(connection: Connection, request: CaptureRequest, recording: Recording): void {
  const { url } = request;
  const auth = connection.proxyAuthorization;
  const req = http.request({
    method: request.method,
    path: connection.absoluteForm ? url.href : `${url.pathname}${url.search}`,
    headers: {
      host: url.host,
      ...request.headers,
      ...(auth === undefined ? {} : { 'proxy-authorization': auth }),
    },
    setHost: false,
    createConnection: () => connection.socket,
  });
  // The request is written now, on an open connection: the next bytes in are the response's.
  connection.socket.once('data', () => {
    recording.mark('firstByteMs');
  });
  req.once('error', (error) => {
    recording.fail(error);
  });
  req.once('response', (res) => {
    recording.response(res.statusCode ?? 0, res.headers);
    res.on('data', (chunk: Buffer) => {
      recording.body(chunk);
    });
    res.once('end', () => {
      recording.bodyEnd('eof');
    });
    res.once('error', (error) => {
      recording.bodyEnd('reset', error);
    });
    res.once('close', () => {
      if (!res.complete) recording.bodyEnd('reset', new Error('the connection closed mid-body'));
    });
  });
  if (request.body !== undefined) req.end(request.body);
  else req.end();
}

function overHttp2(
  connection: Connection,
  request: CaptureRequest,
  recording: Recording,
): http2.ClientHttp2Session {
  const { url } = request;
  const session = http2.connect(url.origin, { createConnection: () => connection.socket });
  session.once('error', (error) => {
    recording.fail(error);
  });
  const stream = session.request({
    ':method': request.method,
    ':path': `${url.pathname}${url.search}`,
    ...request.headers,
  });
  stream.once('error', (error) => {
    recording.fail(error);
  });
  stream.once('response', (headers) => {
    // The server's SETTINGS come first on the connection: the response begins with its HEADERS.
    recording.mark('firstByteMs');
    recording.response(headers[':status'] ?? 0, headers);
    stream.on('data', (chunk: Buffer) => {
      recording.body(chunk);
    });
  });
  // A reset stream ends its body too ('end' comes first): only 'close' knows which it was.
  stream.once('close', () => {
    if (stream.rstCode === http2.constants.NGHTTP2_NO_ERROR) {
      recording.bodyEnd('eof');
      return;
    }
    const error = new Error(
      `the stream was reset (HTTP/2 error code ${String(stream.rstCode)})`,
    ) as NodeJS.ErrnoException;
    error.code = 'ERR_HTTP2_STREAM_RESET';
    recording.fail(error);
  });
  if (request.body !== undefined) stream.end(request.body);
  else stream.end();
  return session;
}
