/** The outputs: the readable report and its timeline strip, --json, --compare, and the requests. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  probeTimeline,
  scheduleOf,
  SSE_HEADERS,
} from '../../test/support/intermediaries/synthetic-timeline.ts';
import { classify } from './classify.ts';
import { compareDiagnoses } from './compare.ts';
import { comparisonJson, diagnosisJson } from './json.ts';
import { renderReport } from './report.ts';
import { chatRequest, DEFAULT_PROBE, defaultTimeoutMs, probeRequest } from './request.ts';
import { timelineStrip } from './strip.ts';

const PROBE = { events: 20, intervalMs: 50, pad: 512, silenceMs: 0 };
const SENDS = scheduleOf(PROBE);
const healthy = classify(probeTimeline({ probe: PROBE, arrivals: SENDS.map((s) => s + 2) }));
const { 'x-accel-buffering': _gone, ...consumed } = SSE_HEADERS;
const buffered = classify({
  ...probeTimeline({
    probe: PROBE,
    arrivals: SENDS.map((s, i) => (i < 7 ? 352 : i < 14 ? 702 : 952)),
    headers: { ...consumed, server: 'nginx/1.22.1' },
    headersMs: 352,
  }),
  url: 'http://127.0.0.1:8081/sluice/probe',
});

describe('report', () => {
  it('leads with the verdict, names the hop, shows the evidence and the fix', () => {
    const text = renderReport(buffered);
    const lines = text.split('\n');
    assert.match(lines[1] ?? '', /^verdict {3}BUFFERED: /);
    assert.match(
      text,
      /hops {6}nginx \(server: nginx\/1\.22\.1; Sluice sent X-Accel-Buffering: no and it is gone/,
    );
    assert.match(text, /evidence {2}- /);
    assert.match(text, /fix {7}nginx, in the nginx location/);
    assert.match(text, /^ {16}proxy_buffering off;$/m);
  });

  it('the timeline strip makes bursts visible: sends spread out, arrivals piled up', () => {
    const strip = timelineStrip(buffered);
    const sent = strip.find((l) => l.startsWith('sent'));
    const arrived = strip.find((l) => l.startsWith('arrived'));
    assert.ok(sent !== undefined && arrived !== undefined);
    assert.equal((sent.match(/1/g) ?? []).length, 20, 'one mark per send at this scale');
    assert.deepEqual(
      arrived
        .replace(/^arrived\s+/, '')
        .replace(/·/g, '')
        .split(''),
      ['7', '7', '6'],
    );
    const healthyArrivals = timelineStrip(healthy).find((l) => l.startsWith('arrived')) ?? '';
    assert.equal((healthyArrivals.match(/1/g) ?? []).length, 20);
  });
});

describe('--json', () => {
  it('has the DESIGN.md contract fields', () => {
    const json = diagnosisJson(buffered);
    assert.equal(json.verdict, 'buffered');
    assert.equal(json.ttfb_ms, 352);
    assert.equal(json.first_event_ms, 352);
    assert.equal(json.events, 20);
    assert.equal(json.timeline.length, 20);
    assert.deepEqual(Object.keys(json.timeline[0] ?? {}), [
      'seq',
      'arrival_ms',
      'sent_ms',
      'hold_ms',
      'own_stall_ms',
      'read',
      'bytes',
    ]);
    const cause = json.causes[0];
    assert.equal(cause?.id, 'size-bursts');
    assert.ok(Array.isArray(cause.evidence) && cause.evidence.length > 0);
    assert.match(cause.fix, /proxy_buffering off;/);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(json)));
  });
});

describe('--compare', () => {
  it('says where the difference appears and what the bad path adds', () => {
    const comparison = compareDiagnoses(healthy, buffered);
    assert.equal(comparison.verdict, 'buffered');
    assert.match(
      comparison.difference,
      /^the difference appears between 127\.0\.0\.1:8080 and 127\.0\.0\.1:8081/,
    );
    assert.match(comparison.difference, /server: nginx\/1\.22\.1 names nginx/);
    assert.match(comparison.difference, /X-Accel-Buffering: no and it is gone/);
    const json = comparisonJson(comparison);
    assert.equal(json.verdict, 'buffered');
    assert.equal(json.url, 'http://127.0.0.1:8081/sluice/probe', 'the problem run on top');
    assert.equal(json.compare.runs.length, 2);
  });

  it('the same problem on both paths is on the shared part', () => {
    const comparison = compareDiagnoses(buffered, buffered);
    assert.match(comparison.difference, /same problem/);
    assert.equal(compareDiagnoses(healthy, healthy).difference.startsWith('no difference'), true);
  });
});

describe('requests', () => {
  it('the probe URL keeps a path prefix and carries the shape', () => {
    const request = probeRequest(
      new URL('https://chat.example.com/sluice-prefix/'),
      DEFAULT_PROBE,
      1000,
    );
    assert.equal(
      request.url.href,
      'https://chat.example.com/sluice-prefix/sluice/probe?events=30&interval_ms=100&pad=512&silence_ms=0',
    );
    assert.equal(request.method, 'GET');
    const api = probeRequest(new URL('https://chat.example.com/v1'), DEFAULT_PROBE, 1000);
    assert.equal(api.url.pathname, '/sluice/probe', 'an API base URL: the probe sits beside /v1');
    assert.equal(request.headers['accept-encoding'], 'gzip, br');
  });

  it('the chat request goes to /v1/chat/completions, or /chat/completions under a /v1 base', () => {
    assert.equal(
      chatRequest(new URL('https://api.example.com'), 'k', 'm', 1).url.href,
      'https://api.example.com/v1/chat/completions',
    );
    const request = chatRequest(new URL('https://api.example.com/v1'), 'k', 'm', 1);
    assert.equal(request.url.href, 'https://api.example.com/v1/chat/completions');
    assert.equal(request.headers['authorization'], 'Bearer k');
    const body = JSON.parse(request.body ?? '{}') as { stream?: boolean; model?: string };
    assert.equal(body.stream, true);
    assert.equal(body.model, 'm');
  });

  it('the default deadline is the probe length plus 30 s', () => {
    assert.equal(
      defaultTimeoutMs({ events: 10, intervalMs: 100, pad: 0, silenceMs: 5000 }),
      36_000,
    );
    assert.equal(defaultTimeoutMs(undefined), 120_000);
  });
});
