/**
 * The stream test's capture (web/src/doctor/browser-capture.ts) on a body the test hands over
 * read by read: each read is stamped, each event attached to the read that completed it, and
 * the result is the CLI's Timeline, which the CLI's classifier accepts as it is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, DOCTOR_HEADER, type ProbeShape } from '../../src/doctor/browser.ts';
import { captureInBrowser, probeUrl } from '../src/doctor/browser-capture.ts';
import { probeFromQuery, probeTimeoutMs } from '../src/doctor/probe-query.ts';

const PROBE: ProbeShape = { events: 3, intervalMs: 100, pad: 0, silenceMs: 0 };
const URL_ = probeUrl('http://sluice.test', PROBE);

const event = (seq: number, sent: number): string =>
  `data: {"seq":${seq},"elapsed_ms":${sent},"t":${1_700_000_000_000 + sent}}\n\n`;

/** Three reads: an event; an event, a keepalive and half an event; its other half and [DONE]. */
const SPLIT = event(2, 200);
/** The first event carries the probe's view of the request as it reached Sluice. */
const FIRST =
  'data: {"seq":0,"elapsed_ms":0,"t":1700000000000,"request":{"http_version":"1.0",' +
  '"headers":{"x-forwarded-for":"loopback"},"spelling":{"host":"Host"},"doctor":"t0k"}}\n\n';
const CHUNKS = [
  FIRST,
  `${event(1, 100)}: keepalive\n\n${SPLIT.slice(0, 20)}`,
  `${SPLIT.slice(20)}data: [DONE]\n\n`,
];

/** A fetch answering with `chunks` as the body, one read each, in order. */
function fetchOf(
  chunks: readonly string[],
  init: { headers?: Record<string, string>; status?: number; fail?: Error; hang?: boolean } = {},
): typeof fetch & { readonly sent: Headers[] } {
  const sent: Headers[] = [];
  const fake = (_input: RequestInfo | URL, options?: RequestInit): Promise<Response> => {
    sent.push(new Headers(options?.headers));
    const signal = options?.signal ?? undefined;
    const bytes = chunks.map((c) => new TextEncoder().encode(c));
    let next = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // As fetch does: aborting the request errors its body.
        signal?.addEventListener('abort', () => {
          controller.error(signal.reason);
        });
      },
      pull(controller) {
        const chunk = bytes[next++];
        if (chunk !== undefined) controller.enqueue(chunk);
        else if (init.hang === true) return new Promise<void>(() => undefined);
        else if (init.fail !== undefined) controller.error(init.fail);
        else controller.close();
        return undefined;
      },
    });
    signal?.throwIfAborted();
    return Promise.resolve(
      new Response(body, {
        status: init.status ?? 200,
        headers: init.headers ?? { 'Content-Type': 'text/event-stream', 'X-Accel-Buffering': 'no' },
      }),
    );
  };
  return Object.assign(fake, { sent });
}

/** A clock that moves 10 ms each time it is read. */
function clock(): () => number {
  let t = 0;
  return () => (t += 10);
}

describe('captureInBrowser', () => {
  it('records reads, events with their send times, comments and [DONE], as the CLI does', async () => {
    const fetch = fetchOf(CHUNKS);
    const timeline = await captureInBrowser({
      url: URL_,
      probe: PROBE,
      timeoutMs: 60_000,
      now: clock(),
      fetch,
    });
    assert.equal(timeline.mode, 'probe');
    assert.equal(timeline.url, URL_.href);
    assert.deepEqual(timeline.probe, PROBE);
    assert.equal(timeline.status, 200);
    assert.equal(timeline.headers['x-accel-buffering'], 'no');
    assert.deepEqual(
      timeline.reads.map((r) => r.bytes),
      CHUNKS.map((c) => new TextEncoder().encode(c).byteLength),
    );
    // Each event belongs to the read that completed it; the split one to the third.
    assert.deepEqual(
      timeline.events.map((e) => [e.seq, e.sentMs, e.read]),
      [
        [0, 0, 0],
        [1, 100, 1],
        [2, 200, 2],
      ],
    );
    assert.equal(timeline.events[0]?.bytes, FIRST.length);
    // The token it sent, for the probe to echo; the probe's view of the request, as the CLI reads it.
    assert.match(timeline.doctorToken ?? '', /^[0-9a-f]{16}$/);
    assert.equal(fetch.sent[0]?.get(DOCTOR_HEADER), timeline.doctorToken);
    assert.equal(fetch.sent[0]?.get('accept'), 'text/event-stream');
    const firstEvent = timeline.events[0];
    assert.ok(firstEvent);
    assert.deepEqual(firstEvent.request, {
      httpVersion: '1.0',
      headers: { 'x-forwarded-for': 'loopback' },
      spelling: { host: 'Host' },
      doctor: 't0k',
    });
    assert.equal(timeline.events[1]?.request, undefined);
    assert.equal(timeline.comments.length, 1);
    assert.equal(timeline.end.kind, 'done');
    const [headers, first] = [timeline.phases.headersMs ?? -1, timeline.reads[0]?.t ?? -1];
    assert.ok(headers < first && first === firstEvent.t, 'headers, then the first read');
    assert.ok((timeline.doneMs ?? -1) >= (timeline.events[2]?.t ?? Infinity));
    assert.ok(timeline.end.t >= (timeline.doneMs ?? Infinity));
    // The CLI's classifier takes it as it is.
    assert.ok(['ok', 'buffered', 'delayed'].includes(classify(timeline).verdict));
  });

  it('calls a refused connection unreachable, with the error kept', async () => {
    const timeline = await captureInBrowser({
      url: URL_,
      probe: PROBE,
      timeoutMs: 60_000,
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
    });
    assert.equal(timeline.end.kind, 'unreachable');
    assert.equal(timeline.end.message, 'Failed to fetch');
    assert.equal(timeline.status, undefined);
    assert.equal(classify(timeline).verdict, 'unreachable');
  });

  it('calls a body that breaks mid-stream a reset, keeping what arrived', async () => {
    const timeline = await captureInBrowser({
      url: URL_,
      probe: PROBE,
      timeoutMs: 60_000,
      fetch: fetchOf([event(0, 0)], { fail: new TypeError('network error') }),
    });
    assert.equal(timeline.end.kind, 'reset');
    assert.equal(timeline.events.length, 1);
  });

  it('keeps the head of a body that is not an event stream (an error page)', async () => {
    const timeline = await captureInBrowser({
      url: URL_,
      probe: PROBE,
      timeoutMs: 60_000,
      fetch: fetchOf(['<h1>502 Bad Gateway</h1>'], {
        status: 502,
        headers: { 'content-type': 'text/html' },
      }),
    });
    assert.equal(timeline.bodyHead, '<h1>502 Bad Gateway</h1>');
    assert.equal(classify(timeline).verdict, 'error');
  });

  it('rejects when stopped mid-stream, and reports no timeline', async () => {
    const stop = new AbortController();
    let progress = 0;
    await assert.rejects(
      captureInBrowser({
        url: URL_,
        probe: PROBE,
        timeoutMs: 60_000,
        signal: stop.signal,
        fetch: fetchOf([event(0, 0)], { hang: true }),
        onProgress: (timeline) => {
          progress++;
          assert.equal(timeline.events.length, 1);
          stop.abort(new Error('stopped'));
        },
      }),
      /stopped/,
    );
    assert.equal(progress, 1);
  });

  it('records a stream still open at the deadline as a timeout', async () => {
    const timeline = await captureInBrowser({
      url: URL_,
      probe: PROBE,
      timeoutMs: 1,
      fetch: fetchOf([event(0, 0)], { hang: true }),
    });
    assert.equal(timeline.end.kind, 'timeout');
    // The deadline may pass before or after the first read: either way it is kept, not lost.
    assert.equal(timeline.events.length, timeline.reads.length);
  });
});

describe('the probe from the address', () => {
  it('is the CLI default, with the probe parameters the address gives', () => {
    assert.deepEqual(probeFromQuery(''), { events: 30, intervalMs: 100, pad: 512, silenceMs: 0 });
    assert.deepEqual(probeFromQuery('events=20&interval_ms=50&pad=0&silence_ms=70000'), {
      events: 20,
      intervalMs: 50,
      pad: 0,
      silenceMs: 70_000,
    });
    assert.deepEqual(probeFromQuery('events=x&interval_ms=-1&pad=1.5'), probeFromQuery(''));
    assert.equal(probeTimeoutMs(PROBE), 300 + 30_000);
  });

  it('asks for the probe beside the page', () => {
    assert.equal(
      probeUrl('https://chat.example.com', PROBE).href,
      'https://chat.example.com/sluice/probe?events=3&interval_ms=100&pad=0&silence_ms=0',
    );
  });
});
