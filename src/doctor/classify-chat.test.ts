/**
 * The classification core in `--key` mode (arrivals only, no send times) and on streams that
 * never became streams: unreachable, HTTP errors, the wrong content, in-band errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chatTimeline,
  probeTimeline,
  steps,
} from '../../test/support/intermediaries/synthetic-timeline.ts';
import { classify } from './classify.ts';
import type { Timeline } from './timeline.ts';

describe('classify: chat timelines (send times unknown)', () => {
  it('healthy: one token event per read, 30 ms apart', () => {
    const d = classify(chatTimeline({ arrivals: steps(40, 400, 30), headersMs: 5 }));
    assert.equal(d.verdict, 'ok');
    assert.equal(d.causes[0]?.id, 'healthy');
  });

  it('an empty answer ([DONE] alone) cannot show streaming: an error, not healthy', () => {
    const d = classify(chatTimeline({ arrivals: [], headersMs: 5 }));
    assert.equal(d.verdict, 'error');
    assert.match(d.causes[0]?.title ?? '', /the answer was empty/);
  });

  it('not streaming: JSON instead of an event stream', () => {
    const timeline: Timeline = {
      ...chatTimeline({ arrivals: [], headersMs: 900, done: false }),
      headers: { 'content-type': 'application/json', 'content-length': '512' },
      reads: [{ t: 900, bytes: 512 }],
      bodyHead: '{"id":"chatcmpl-1","object":"chat.completion","choices":[]}',
      end: { kind: 'eof', t: 901 },
    };
    const d = classify(timeline);
    assert.equal(d.verdict, 'buffered');
    assert.equal(d.causes[0]?.id, 'not-streaming');
    assert.match(d.causes[0].title, /application\/json/);
  });

  it('not streaming: every event in one read, with Content-Length', () => {
    const arrivals = Array.from({ length: 40 }, () => 2100);
    const d = classify(
      chatTimeline({
        arrivals,
        headers: { 'content-type': 'text/event-stream', 'content-length': '6000' },
      }),
    );
    assert.equal(d.verdict, 'buffered');
    assert.equal(d.causes[0]?.id, 'not-streaming');
    assert.match(d.causes[0].evidence.join('\n'), /one release/);
  });

  it('bursts: many events per read, a noticeable pause between reads', () => {
    const arrivals = [0, 1, 2, 3, 4].flatMap((k) => Array.from({ length: 8 }, () => 300 + k * 400));
    const d = classify(chatTimeline({ arrivals }));
    assert.ok(['size-bursts', 'periodic-flush'].includes(d.causes[0]?.id ?? ''), d.causes[0]?.id);
    // Released every 400 ms the answer still flows, late: delayed; size-quantised, buffered.
    assert.equal(d.verdict, d.causes[0]?.id === 'periodic-flush' ? 'delayed' : 'buffered');
  });

  it('headers that come only with the first token are a warning, not a failure', () => {
    const d = classify(
      chatTimeline({ arrivals: steps(20, 1500, 30), headersMs: 1500, connectMs: 1 }),
    );
    assert.equal(d.verdict, 'ok');
    assert.ok(d.causes.some((c) => c.id === 'headers-held' && c.severity === 'warning'));
  });

  it('an in-band error event is an error, never a silent success', () => {
    const d = classify(chatTimeline({ arrivals: steps(5, 300, 30), error: 'upstream overloaded' }));
    assert.equal(d.verdict, 'error');
    assert.equal(d.causes[0]?.id, 'upstream-error');
    assert.match(d.causes[0].evidence[0] ?? '', /upstream overloaded/);
  });
});

describe('classify: streams that never started', () => {
  const probe = { events: 30, intervalMs: 100, pad: 512, silenceMs: 0 };
  const base = probeTimeline({ probe, arrivals: [] });

  it('unreachable: connection refused', () => {
    const { status: _status, ...rest } = base;
    const d = classify({
      ...rest,
      headers: {},
      reads: [],
      end: {
        kind: 'unreachable',
        t: 1,
        code: 'ECONNREFUSED',
        message: 'connect ECONNREFUSED 127.0.0.1:9',
      },
    });
    assert.equal(d.verdict, 'unreachable');
    assert.match(d.causes[0]?.title ?? '', /ECONNREFUSED/);
  });

  it('HTTP 404 from nginx: no /sluice/probe routed to Sluice', () => {
    const d = classify({
      ...base,
      status: 404,
      headers: { 'content-type': 'text/html', server: 'nginx/1.22.1' },
      bodyHead: '<html><head><title>404 Not Found</title></head>',
      end: { kind: 'eof', t: 3 },
    });
    assert.equal(d.verdict, 'error');
    assert.equal(d.causes[0]?.id, 'http-error');
    assert.match(d.causes[0].evidence.join('\n'), /route \/sluice\/ to Sluice/);
    assert.deepEqual(d.hops, ['nginx']);
  });

  it('HTTP 524 from Cloudflare: a first-byte timeout', () => {
    const d = classify({
      ...base,
      status: 524,
      headers: { 'content-type': 'text/html', server: 'cloudflare', 'cf-ray': '8a1b-AMS' },
      end: { kind: 'eof', t: 100_100 },
    });
    assert.equal(d.verdict, 'error');
    assert.match(d.causes[0]?.evidence.join('\n') ?? '', /first-byte timeout/);
    assert.deepEqual(d.hops, ['cloudflare']);
  });

  it('a 200 page that is not an event stream is not the probe', () => {
    const d = classify({
      ...base,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      bodyHead: '<!doctype html><title>My app</title>',
      end: { kind: 'eof', t: 5 },
    });
    assert.equal(d.verdict, 'error');
    assert.equal(d.causes[0]?.id, 'not-a-probe');
  });
});
