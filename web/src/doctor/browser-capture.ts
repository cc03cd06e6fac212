/**
 * The doctor's capture, from the user's browser: `GET /sluice/probe` with fetch, every `read()`
 * of the body stamped with `performance.now()`, recorded as the same `Timeline` the CLI's capture
 * (src/doctor/capture.ts) records, so the same classifier judges it. The browser sees the chain
 * exactly as the user's chat does — corporate proxy, antivirus, VPN, CDN — which the CLI on a
 * server cannot.
 *
 * What a page cannot see, it leaves out, as the Timeline allows: DNS, connect and TLS times and
 * the protocol come from Resource Timing when the browser reports them (not on a reused
 * connection); there is no certificate; and read sizes are of the body after the browser
 * decompressed it, where the CLI counts wire bytes (a compressing hop still shows in
 * `Content-Encoding`). Like the CLI, it sends a token for the probe to echo, so a cache that
 * replays someone else's stream shows, and it reads the probe's view of the request (the hops
 * that forwarded it) from the first event.
 */
import {
  DOCTOR_HEADER,
  doctorToken,
  type EndKind,
  type EventRecord,
  type Phases,
  type ProbeShape,
  type ReadRecord,
  requestViewOf,
  type Timeline,
  watchStalls,
} from '../../../src/doctor/browser.ts';
import { type SseBlock, SseBlockParser } from '../api/sse-reader.ts';

export interface BrowserCaptureOptions {
  /** `…/sluice/probe?…` on the page's own origin. */
  readonly url: URL;
  readonly probe: ProbeShape;
  /** The whole capture; the stream is then cancelled and recorded as `timeout`. */
  readonly timeoutMs: number;
  /** Stops the capture (the user pressed Stop): the promise rejects with the abort reason. */
  readonly signal?: AbortSignal;
  /** The timeline so far, after each read. */
  readonly onProgress?: (timeline: Timeline) => void;
  /** Tests: a fetch and a clock of their own. */
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

const BODY_HEAD_CHARS = 2048;
/** `data: …\n` plus the blank line; an `id: …\n` line when present (as the CLI counts). */
const DATA_FRAMING = 'data: \n\n'.length;
const ID_FRAMING = 'id: \n'.length;

/** The probe's URL beside the page: `/sluice/probe?events=…&interval_ms=…&pad=…&silence_ms=…`. */
export function probeUrl(origin: string, probe: ProbeShape): URL {
  const url = new URL('/sluice/probe', origin);
  url.search = new URLSearchParams({
    events: String(probe.events),
    interval_ms: String(probe.intervalMs),
    pad: String(probe.pad),
    silence_ms: String(probe.silenceMs),
  }).toString();
  return url;
}

/** Runs the probe and records its timeline; rejects only when `signal` stops it. */
export async function captureInBrowser(options: BrowserCaptureOptions): Promise<Timeline> {
  const clock = options.now ?? (() => performance.now());
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const t0 = clock();
  const startedEpochMs = Date.now();
  const now = (): number => Math.round((clock() - t0) * 100) / 100;
  const encoder = new TextEncoder();
  const token = doctorToken();

  const phases: { -readonly [K in keyof Phases]: Phases[K] } = {};
  const reads: ReadRecord[] = [];
  const events: EventRecord[] = [];
  const comments: number[] = [];
  let doneMs: number | undefined;
  let status: number | undefined;
  let headers: Record<string, string> = {};
  let bodyHead = '';
  let keepHead = false;

  // The page's own stalls (a busy tab, a busy machine) are not a hop's holds, as for the CLI.
  const shown = visibility(now);
  const stalls = watchStalls(now, shown.since);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('The doctor gave up waiting.', 'TimeoutError'));
  }, options.timeoutMs);
  const stop = (): void => {
    controller.abort(options.signal?.reason);
  };
  if (options.signal?.aborted === true) stop();
  else options.signal?.addEventListener('abort', stop, { once: true });

  const record = (block: SseBlock, t: number): void => {
    if (block.data === undefined) comments.push(t);
    else if (block.data === '[DONE]') doneMs ??= t;
    else events.push(eventRecord(block, t, reads.length - 1, events.length, encoder));
  };
  /**
   * The record so far. Its lists are the live ones, not copies: progress reports stay cheap
   * per read, and nothing changes them once the capture has ended.
   */
  const timeline = (kind: EndKind, t: number, error?: unknown, final = true): Timeline => {
    // A browser says only "Failed to fetch", with no code (ECONNREFUSED…): the message is all.
    const message = error instanceof Error ? error.message : undefined;
    const resource = final ? resourceTiming(options.url.href, t0) : undefined;
    return {
      url: options.url.href,
      mode: 'probe',
      probe: options.probe,
      startedEpochMs,
      ...(resource?.protocol === undefined ? {} : { protocol: resource.protocol }),
      phases: { ...phases, ...resource?.phases },
      ...(status === undefined ? {} : { status }),
      headers,
      reads,
      events,
      comments,
      ...(doneMs === undefined ? {} : { doneMs }),
      end: { kind, t, ...(message === undefined ? {} : { message }) },
      ...(keepHead && bodyHead !== '' ? { bodyHead } : {}),
      doctorToken: token,
    };
  };
  /** A failure is the timeline's end, unless the user stopped it. */
  const failed = (kind: EndKind, error: unknown): Timeline => {
    const t = now();
    if (options.signal?.aborted === true) throw options.signal.reason;
    return timedOut ? timeline('timeout', t) : timeline(kind, t, error);
  };

  try {
    let response: Response;
    try {
      response = await doFetch(options.url, {
        headers: { accept: 'text/event-stream', [DOCTOR_HEADER]: token },
        cache: 'no-store',
        // The probe needs no sign-in: send no cookie, so what is measured is what anyone gets.
        credentials: 'omit',
        signal: controller.signal,
      });
    } catch (error) {
      return failed('unreachable', error);
    }
    phases.headersMs = now();
    status = response.status;
    headers = Object.fromEntries(response.headers);
    const isEventStream = (headers['content-type'] ?? '')
      .toLowerCase()
      .startsWith('text/event-stream');
    keepHead = !isEventStream || status >= 300;
    if (response.body === null) return timeline('eof', now());

    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseBlockParser();
    const take = (text: string, t: number): void => {
      if (keepHead && bodyHead.length < BODY_HEAD_CHARS) {
        bodyHead = (bodyHead + text).slice(0, BODY_HEAD_CHARS);
      }
      if (isEventStream) for (const block of parser.push(text)) record(block, t);
    };
    try {
      // Ends when the body does, or when the deadline or Stop cancels the fetch.
      for (;;) {
        const { done, value } = await reader.read();
        const t = now();
        if (done) break;
        phases.firstByteMs ??= t;
        const blindFromMs = stalls.blindFrom(t);
        reads.push({
          t,
          bytes: value.byteLength,
          ...(blindFromMs === undefined ? {} : { blindFromMs }),
        });
        take(decoder.decode(value, { stream: true }), t);
        options.onProgress?.(timeline('eof', t, undefined, false));
      }
    } catch (error) {
      return failed('reset', error);
    }
    const t = now();
    take(decoder.decode(), t);
    return timeline(doneMs === undefined ? 'eof' : 'done', t);
  } finally {
    stalls.stop();
    shown.stop();
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop);
  }
}

/**
 * Since when the page has been shown, on the capture's clock (Infinity while it is hidden): a
 * hidden tab runs timers at most once a second — later still after minutes — so its ticker's
 * gaps say nothing about stalls. Without a document (a worker), always.
 */
function visibility(now: () => number): { since: () => number; stop: () => void } {
  if (typeof document === 'undefined') return { since: () => -Infinity, stop: () => undefined };
  let since = document.visibilityState === 'visible' ? -Infinity : Infinity;
  const changed = (): void => {
    since = document.visibilityState === 'visible' ? now() : Infinity;
  };
  document.addEventListener('visibilitychange', changed);
  return {
    since: () => since,
    stop: () => {
      document.removeEventListener('visibilitychange', changed);
    },
  };
}

function eventRecord(
  block: SseBlock,
  t: number,
  read: number,
  index: number,
  encoder: TextEncoder,
): EventRecord {
  const data = block.data ?? '';
  const bytes =
    encoder.encode(data).byteLength +
    DATA_FRAMING +
    (block.id === undefined ? 0 : encoder.encode(block.id).byteLength + ID_FRAMING);
  const base = { t, read: Math.max(0, read), bytes, seq: index };
  const probe = probeFields(data);
  return probe === undefined ? base : { ...base, ...probe };
}

/**
 * `{"seq":n,"elapsed_ms":…,"t":…}` from a probe event, or undefined if it is not one; the first
 * event's `request` too (what the hops did to the request), read by the CLI's own reader.
 */
function probeFields(
  data: string,
): Pick<EventRecord, 'seq' | 'sentMs' | 'epochMs' | 'request'> | undefined {
  if (!data.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { seq, elapsed_ms: sentMs, t: epochMs, request } = parsed as Record<string, unknown>;
  if (typeof seq !== 'number' || typeof sentMs !== 'number') return undefined;
  const view = requestViewOf(request);
  return {
    seq,
    sentMs,
    ...(typeof epochMs === 'number' ? { epochMs } : {}),
    ...(view === undefined ? {} : { request: view }),
  };
}

/**
 * DNS, connect and TLS times and the protocol from the browser's Resource Timing entry for the
 * probe, on the capture's clock; only the phases that happened (a reused connection has none).
 * Undefined where the browser gives no entry (it writes one when the body ends).
 */
function resourceTiming(
  url: string,
  t0: number,
): { phases: Phases; protocol: Timeline['protocol'] } | undefined {
  if (typeof performance.getEntriesByName !== 'function') return undefined;
  const entry = performance
    .getEntriesByName(url, 'resource')
    .filter((e): e is PerformanceResourceTiming => 'connectEnd' in e)
    .find((e) => e.startTime >= t0 - 1);
  if (entry === undefined) return undefined;
  const at = (ms: number): number => Math.round((ms - t0) * 100) / 100;
  const phases: { -readonly [K in keyof Phases]: Phases[K] } = {};
  if (entry.domainLookupEnd > entry.domainLookupStart) phases.dnsMs = at(entry.domainLookupEnd);
  if (entry.connectEnd > entry.connectStart) {
    const tls = entry.secureConnectionStart > 0;
    phases.connectMs = at(tls ? entry.secureConnectionStart : entry.connectEnd);
    if (tls) phases.tlsMs = at(entry.connectEnd);
  }
  if (entry.responseStart > 0) phases.firstByteMs = at(entry.responseStart);
  // h3 (QUIC) has no place in the Timeline yet: left out rather than called something else.
  const protocol =
    entry.nextHopProtocol === 'h2' || entry.nextHopProtocol === 'http/1.1'
      ? entry.nextHopProtocol
      : undefined;
  return { phases, protocol };
}
