/**
 * What the doctor records about one stream: plain JSON values, so a capture can be saved as a
 * fixture and classified again without a socket. Every time is in milliseconds since the request
 * was started, from a monotonic clock (performance.now()), except `startedEpochMs` and the
 * probe's own `epochMs`, which are wall-clock and only compared with each other loosely.
 */
import type { UpstreamView } from '../probe/index.ts';
import type { ChatApi } from './apis.ts';
import type { CertificateSummary } from './certificate.ts';

/**
 * Most reads, events and comments a capture keeps: 20 × the largest probe. Past it the stream
 * is still read to its end, but not recorded: a server that floods events (the doctor may be
 * pointed at any) took it to 4 GB in half a minute.
 */
export const MAX_RECORDED = 20_000;

/** `probe`: Sluice's `/sluice/probe`, whose events carry their send times. `chat`: any OpenAI-compatible server. */
export type CaptureMode = 'probe' | 'chat';

/** The probe's schedule, as requested (see src/probe/params.ts). */
export interface ProbeShape {
  readonly events: number;
  readonly intervalMs: number;
  readonly pad: number;
  readonly silenceMs: number;
}

/** Connection milestones; absent when they did not happen (no DNS for an IP, no TLS for http). */
export interface Phases {
  readonly dnsMs?: number;
  readonly connectMs?: number;
  readonly tlsMs?: number;
  readonly headersMs?: number;
  readonly firstByteMs?: number;
}

/** One socket read after the request was sent: wire bytes, so a compressing hop shows its real sizes. */
export interface ReadRecord {
  readonly t: number;
  readonly bytes: number;
  /**
   * When the doctor's own process had stalled just before this read (a busy machine): the last
   * moment it was seen listening. What the read carried may have waited in the doctor since.
   */
  readonly blindFromMs?: number;
}

/** One SSE event with data, `[DONE]` excluded. */
export interface EventRecord {
  /** When it was parsed (after decompression). */
  readonly t: number;
  /** Index into `reads` of the read that completed it. */
  readonly read: number;
  /** Its size as text, before any compression. */
  readonly bytes: number;
  /** The probe's sequence number; for chat, the event's index. */
  readonly seq: number;
  /** Probe only: the server's send time since the stream began. */
  readonly sentMs?: number;
  /** Probe only: the server's wall clock when it sent the event. */
  readonly epochMs?: number;
  /** Chat only: the message of an in-band error event (`data: {"error":…}`). */
  readonly error?: string;
  /** Probe only, the first event: what the request looked like when it reached Sluice. */
  readonly request?: RequestView;
}

/**
 * The request as Sluice received it, as the probe reflects it (src/probe/request-view.ts): the
 * hop headers that arrived (addresses replaced by their kind) and how names were spelt.
 */
export interface RequestView {
  /** The HTTP version of the last hop's request to Sluice. */
  readonly httpVersion: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Lower-case name → the spelling that arrived (`host` → `Host`). */
  readonly spelling: Readonly<Record<string, string>>;
  /** The doctor's token, echoed. */
  readonly doctor?: string;
}

export type EndKind =
  /** The end marker arrived (`data: [DONE]`, `message_stop`, …) and the body ended. */
  | 'done'
  /** The body ended cleanly without its end marker. */
  | 'eof'
  /** The connection broke mid-body (reset, premature close, decompression error). */
  | 'reset'
  /** The doctor's own deadline passed while the stream was open. */
  | 'timeout'
  /** No response at all: DNS, connect or TLS failed. */
  | 'unreachable';

export interface StreamEnd {
  readonly kind: EndKind;
  readonly t: number;
  /** The error code, e.g. ECONNREFUSED, ECONNRESET. */
  readonly code?: string;
  readonly message?: string;
}

/** The HTTP forward proxy the doctor went through (HTTP_PROXY/HTTPS_PROXY). */
export interface ForwardProxy {
  /** Its address, credentials left out. */
  readonly url: string;
  /** Reached through it by CONNECT: it saw the stream as bytes only, unless it intercepted TLS. */
  readonly tunnel: boolean;
}

export interface Timeline {
  readonly url: string;
  readonly mode: CaptureMode;
  /** Chat mode: the API asked (`--api`); absent means Chat Completions. */
  readonly api?: ChatApi;
  readonly probe?: ProbeShape;
  readonly startedEpochMs: number;
  readonly phases: Phases;
  /** The HTTP version spoken with the first hop: `h2` only when the doctor offered it (--http2). */
  readonly protocol?: 'http/1.1' | 'h2';
  /** Absent when no response arrived. */
  readonly status?: number;
  /** Response headers, names in lower case, repeated ones joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The TLS certificate issuer's organisation or common name (TLS-inspecting proxies show here). */
  readonly tlsIssuer?: string;
  /** The server's certificate (https only); `error` says why it did not verify. */
  readonly certificate?: CertificateSummary;
  readonly reads: readonly ReadRecord[];
  readonly events: readonly EventRecord[];
  /** Arrival times of comment-only blocks (keepalives). */
  readonly comments: readonly number[];
  /** When the answer's end marker arrived: `[DONE]`, or its API's last event (`apis.ts`). */
  readonly doneMs?: number;
  readonly end: StreamEnd;
  /** The first bytes of a body that was not an event stream (error pages, JSON). */
  readonly bodyHead?: string;
  /** Through a Sluice gateway (`--key`): how the upstream's answer reached Sluice. */
  readonly upstream?: UpstreamView;
  /** The forward proxy the doctor itself went through, if any. */
  readonly forwardProxy?: ForwardProxy;
  /** The token the doctor sent in its x-Sluice-doctor header, for the probe to echo. */
  readonly doctorToken?: string;
}
