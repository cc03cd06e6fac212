/**
 * Streams that never became streams: no connection, an HTTP error, something other than an
 * event stream, an in-band error, or a stream still open at the doctor's deadline. These need no
 * timing analysis; they say what answered instead.
 */
import { endMarker } from './apis.ts';
import { certificateProblem, namesOf, problemPhrase } from './certificate.ts';
import type { Finding } from './diagnosis.ts';
import { formatMs } from './stats.ts';
import { MAX_RECORDED, type Timeline } from './timeline.ts';

/** The failure that ends the diagnosis, or undefined when the stream itself can be judged. */
export function failureFinding(timeline: Timeline): Finding | undefined {
  const { end, status } = timeline;
  if (end.kind === 'unreachable' || status === undefined) {
    const certificate = certificateFinding(timeline);
    if (certificate !== undefined) return certificate;
    const hint = unreachableHint(timeline);
    return {
      id: 'unreachable',
      title: `unreachable: ${end.code ?? end.message ?? end.kind}`,
      evidence: [
        `no response from ${timeline.url}${end.message === undefined ? '' : `: ${end.message}`}`,
        end.kind === 'timeout'
          ? `no headers within ${formatMs(end.t)}`
          : `failed after ${formatMs(end.t)}`,
        ...(hint === undefined ? [] : [hint]),
      ],
      measures: { failed_ms: end.t },
      fixKinds: [],
    };
  }
  if (status >= 300) return httpError(timeline, status);
  const contentType = timeline.headers['content-type'] ?? '(none)';
  if (!contentType.toLowerCase().startsWith('text/event-stream')) {
    return timeline.mode === 'probe'
      ? {
          id: 'not-a-probe',
          title: `not Sluice's probe: the answer is ${contentType}, not an event stream`,
          evidence: [
            `HTTP ${status} with Content-Type ${contentType}`,
            `it begins: ${head(timeline.bodyHead)}`,
            'something other than Sluice answered /sluice/probe (an app, a CDN or a catch-all route)',
          ],
          measures: { status },
          fixKinds: [],
        }
      : {
          id: 'not-streaming',
          title: `not streaming: the server answered ${contentType} to stream: true`,
          evidence: [
            `HTTP ${status} with Content-Type ${contentType}${timeline.headers['content-length'] === undefined ? '' : `, Content-Length ${timeline.headers['content-length']}`}`,
            `${timeline.reads.length} read(s); it begins: ${head(timeline.bodyHead)}`,
          ],
          measures: { status, reads: timeline.reads.length },
          fixKinds: ['not-streaming'],
        };
  }
  const inBand = timeline.events.find((e) => e.error !== undefined);
  if (inBand?.error !== undefined) {
    return {
      id: 'upstream-error',
      title: 'the stream carried an error event',
      evidence: [`event ${inBand.seq} at ${formatMs(inBand.t)}: ${inBand.error}`],
      measures: { event: inBand.seq },
      fixKinds: [],
    };
  }
  if (end.kind === 'timeout') {
    const expected = timeline.probe === undefined ? '' : ` of ${timeline.probe.events}`;
    return {
      id: 'stalled',
      title: `stalled: no ${endMarker(timeline.api)} within ${formatMs(end.t)}`,
      evidence: [
        `${timeline.events.length}${expected} events arrived; the last byte came at ${formatMs(timeline.reads.at(-1)?.t ?? 0)}`,
        'the stream was still open at the deadline (--timeout): something holds the rest',
      ],
      measures: { events: timeline.events.length, deadline_ms: end.t },
      fixKinds: ['buffering'],
    };
  }
  return wrongCount(timeline);
}

/**
 * A stream that ended with its end marker but not with what was asked for: a probe with fewer
 * or more events than it sends (`[DONE]` alone passed as healthy), an answer with none. Whether
 * it streams cannot be judged from it, and it is not what was asked.
 */
function wrongCount(timeline: Timeline): Finding | undefined {
  const { probe, doneMs } = timeline;
  if (doneMs === undefined) return undefined;
  const received = timeline.events.length;
  const marker = `${endMarker(timeline.api)} came at ${formatMs(doneMs)}`;
  if (timeline.mode === 'chat' && received === 0)
    return {
      id: 'upstream-error',
      title: `the answer was empty: ${endMarker(timeline.api)} with no event before it`,
      evidence: [
        `${marker}, and nothing before it`,
        'whether the chain streams cannot be judged without tokens: the model or a relay answered nothing',
      ],
      measures: { events: 0 },
      fixKinds: [],
    };
  if (timeline.mode !== 'probe' || probe === undefined || received === probe.events)
    return undefined;
  const more = received >= MAX_RECORDED ? `over ${MAX_RECORDED}` : String(received);
  return {
    id: 'not-a-probe',
    title:
      received < probe.events
        ? `not the probe asked for: it ended after ${received} of its ${probe.events} events`
        : `not the probe asked for: ${more} events where it sends ${probe.events}`,
    evidence: [
      `${marker}, after ${more} events; the probe asked for sends exactly ${probe.events}`,
      'something other than Sluice answered, or a cache served the copy of another request',
    ],
    measures: { events: received, asked: probe.events },
    fixKinds: [],
  };
}

/**
 * A certificate that did not verify: the doctor stopped before it sent anything (an API key, in
 * chat mode), so the stream was never measured; the cause says which check failed and how to
 * measure anyway.
 */
function certificateFinding(timeline: Timeline): Finding | undefined {
  const { end, certificate } = timeline;
  const problem = certificateProblem(end.code);
  if (problem === undefined || end.code === undefined) return undefined;
  const host = new URL(timeline.url).host;
  const evidence = [
    `TLS verification of ${host} failed: ${end.code}`,
    ...(certificate === undefined
      ? []
      : [
          `its certificate: ${certificate.subject}, issued by ${certificate.issuer}, valid ` +
            `${certificate.validFrom} to ${certificate.validTo}, for ${namesOf(certificate)}`,
        ]),
    'nothing was sent: the doctor does not send a request to a server it cannot verify',
  ];
  return {
    id: 'untrusted-certificate',
    title: `untrusted certificate: ${host}'s certificate is ${problemPhrase(problem, certificate)}`,
    evidence,
    measures: { failed_ms: end.t },
    fixKinds: ['certificate'],
    fixDetail: {
      certificate: { problem, code: end.code, host, names: namesOf(certificate) },
    },
  };
}

/** What a connection failure usually means, when its code says more than its message. */
function unreachableHint(timeline: Timeline): string | undefined {
  const code = timeline.end.code ?? '';
  if (code.startsWith('ERR_HTTP2') && timeline.url.startsWith('http:')) {
    return 'the server does not speak HTTP/2 without TLS (h2c): drop --http2, or use https:// where ALPN offers h2';
  }
  if (code === 'ERR_PROXY_TUNNEL') {
    return 'the forward proxy refused the tunnel: it may allow CONNECT to port 443 only (Squid: the SSL_ports ACL)';
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO') {
    return 'the TLS handshake got something that is not TLS: is this port serving plain HTTP (try http://)?';
  }
  return undefined;
}

function httpError(timeline: Timeline, status: number): Finding {
  const server = timeline.headers['server'];
  const evidence = [
    `HTTP ${status}${server === undefined ? '' : ` from Server: ${server}`}`,
    `the body begins: ${head(timeline.bodyHead)}`,
  ];
  const hint = statusHint(status, timeline.mode);
  if (hint !== undefined) evidence.push(hint);
  return {
    id: 'http-error',
    title: `HTTP ${status} instead of a stream`,
    evidence,
    measures: { status },
    fixKinds: [],
  };
}

function statusHint(status: number, mode: Timeline['mode']): string | undefined {
  if (status >= 300 && status < 400) return 'redirected: run the doctor on the Location it names';
  if (status === 404 && mode === 'probe') {
    return 'no /sluice/probe here: route /sluice/ to Sluice, or test another server with --key and --model';
  }
  if (status === 401 || status === 403) return 'the key (or a hop in front) was refused';
  if (status === 429) return 'rate limited (Sluice allows a few probes at once): retry shortly';
  if (status === 502 || status === 503) return 'a hop could not reach the server behind it';
  if (status === 504 || status === 524) {
    return 'a hop timed out waiting for response headers: a first-byte timeout (Cloudflare 524 after 100–120 s)';
  }
  return undefined;
}

function head(text: string | undefined): string {
  if (text === undefined || text === '') return '(empty body)';
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 160 ? `${flat.slice(0, 160)}…` : flat);
}
