/**
 * The shareable report (`--html`) and the chart both it and the web page draw: one mark per
 * event, on the diagonal when nothing held it, in columns when a buffer did; everything a hop
 * sent written as text, never as markup, and nothing in the page that runs or loads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  chatTimeline,
  probeTimeline,
  scheduleOf,
  SSE_HEADERS,
} from '../../test/support/intermediaries/synthetic-timeline.ts';
import { chainDiagnoses } from './chain.ts';
import { timelineChart } from './chart.ts';
import { classify } from './classify.ts';
import { compareDiagnoses } from './compare.ts';
import { escapeHtml, htmlChainReport, htmlComparisonReport, htmlReport } from './html-report.ts';
import type { ProbeShape, Timeline } from './timeline.ts';

const PROBE: ProbeShape = { events: 20, intervalMs: 100, pad: 512, silenceMs: 0 };
const SENDS = scheduleOf(PROBE);
const AT = { generatedAt: new Date('2030-01-02T03:04:05Z') };
const HOSTILE_SERVER = '<script>document.title="pwned"</script>';
const HOSTILE_VIA = '1.1 "><img src=x onerror=alert(1)>';

const healthy = (): Timeline => probeTimeline({ probe: PROBE, arrivals: SENDS.map((s) => s + 3) });
const recorded = (name: string): Timeline =>
  JSON.parse(
    readFileSync(new URL(`../../test/fixtures/doctor/${name}.json`, import.meta.url), 'utf8'),
  ) as Timeline;

const marks = (html: string): number => html.match(/<circle class="event[ "]/g)?.length ?? 0;

describe('htmlReport', () => {
  it('gives the verdict, the chart with one mark per event, the evidence', () => {
    const d = classify(healthy());
    const html = htmlReport(d, AT);
    assert.equal(d.verdict, 'ok');
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<h1 class="verdict" data-verdict="ok">/);
    assert.equal(marks(html), PROBE.events);
    assert.ok(html.includes(escapeHtml(d.causes[0]?.evidence[0] ?? '?')));
    assert.ok(html.includes('2030-01-02T03:04:05.000Z'));
  });

  it('is self-contained: no script, nothing fetched, and a CSP that forbids both', () => {
    const html = htmlReport(classify(recorded('nginx-ignore-accel')), AT);
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|\bsrc=|@import|url\(/i);
    assert.doesNotMatch(html, /href=/);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; style-src/);
  });

  it('shows a buffering nginx: verdict, its fix as a snippet, the burst in one column', () => {
    const d = classify(recorded('nginx-ignore-accel'));
    const html = htmlReport(d, AT);
    assert.equal(d.verdict, 'buffered');
    assert.match(html, /data-verdict="buffered"/);
    assert.match(html, /<pre>[^<]*proxy_buffering off;/);
    assert.equal(marks(html), d.timeline.events.length);
    assert.match(html, /class="event held"/);
  });

  it('writes what a hop sent as text: a <script> in Server or Via is escaped, not markup', () => {
    const hostile = probeTimeline({
      probe: PROBE,
      arrivals: SENDS.map((s) => s + 3),
      headers: { ...SSE_HEADERS, server: HOSTILE_SERVER, via: HOSTILE_VIA },
    });
    const timeline: Timeline = { ...hostile, url: 'http://h.test/sluice/probe?x="><script>' };
    const html = htmlReport(classify(timeline), AT);
    assert.doesNotMatch(html, /<script|<img/i);
    assert.ok(html.includes(escapeHtml(HOSTILE_SERVER)));
    assert.ok(html.includes('&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;'));
    assert.ok(html.includes(escapeHtml(HOSTILE_VIA)));
  });

  it('--compare: the difference first, then both runs in full', () => {
    const good = classify(healthy());
    const bad = classify(recorded('nginx-ignore-accel'));
    const html = htmlComparisonReport(compareDiagnoses(good, bad), AT);
    assert.match(html, /<h1 class="verdict" data-verdict="buffered">/);
    assert.equal(html.match(/<section class="run">/g)?.length, 2);
    assert.equal(marks(html), good.timeline.events.length + bad.timeline.events.length);
    assert.match(html, /class="difference">the difference appears between/);
  });

  it('--chain: the summary and the culprit first, then every point, outermost first', () => {
    const outer = classify(recorded('nginx-ignore-accel'));
    const inner = classify(healthy());
    const chain = chainDiagnoses([outer, inner]);
    const html = htmlChainReport(chain, AT);
    assert.match(html, /<h1 class="verdict" data-verdict="buffered">/);
    assert.ok(html.includes(escapeHtml(chain.summary)));
    assert.equal(html.match(/<section class="run">/g)?.length, 2);
    assert.ok(html.indexOf('Point 1 of 2') < html.indexOf('Point 2 of 2'));
    assert.equal(marks(html), outer.timeline.events.length + inner.timeline.events.length);
  });

  it('shows the path the probe saw: hops on the request, the version that reached Sluice', () => {
    const base = healthy();
    const [first, ...rest] = base.events;
    assert.ok(first);
    const request = {
      httpVersion: '1.0',
      headers: { via: '1.1 varnish (Varnish/7.1)', 'x-forwarded-for': 'loopback' },
      spelling: { host: 'Host', via: 'Via' },
    };
    const d = classify({ ...base, events: [{ ...first, request }, ...rest] });
    assert.ok(d.path.seen);
    const html = htmlReport(d, AT);
    assert.match(html, /<dt>Path<\/dt><dd><ul class="path"><li>at least 1 hop before Sluice<\/li>/);
    assert.match(html, /<li>Varnish \(Via: 1\.1 varnish \(Varnish\/7\.1\) on the request\)<\/li>/);
    assert.match(html, /<li>HTTP\/1\.0 at Sluice<\/li>/);
  });

  it('a chat run has no send times: marks climb by order, no diagonal', () => {
    const d = classify(chatTimeline({ arrivals: [10, 20, 30, 40] }));
    const html = htmlReport(d, AT);
    assert.equal(marks(html), 4);
    assert.doesNotMatch(html, /class="diagonal"/);
  });

  it('escapes the five characters that matter in text and in attributes', () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('shows control and direction characters as \\uXXXX: `cat` of a report ran a hop’s escapes', () => {
    const hostile = probeTimeline({
      probe: PROBE,
      arrivals: SENDS.map((s) => s + 3),
      headers: { ...SSE_HEADERS, server: 'nginx\u001b]0;pwned\u0007\u009b2J\u202egnp.exe' },
    });
    const html = htmlReport(classify(hostile), AT);
    let control: number | undefined;
    for (let i = 0; i < html.length && control === undefined; i++) {
      const code = html.charCodeAt(i);
      const bad = (code < 0x20 && code !== 0x0a && code !== 0x09) || (code >= 0x7f && code <= 0x9f);
      if (bad || code === 0x202e) control = code;
    }
    assert.equal(control, undefined);
    assert.ok(html.includes('nginx\\u001b]0;pwned\\u0007\\u009b2J\\u202egnp.exe'));
  });
});

describe('timelineChart', () => {
  it('puts events nobody held on the diagonal, in send order', () => {
    const chart = timelineChart(classify(healthy()));
    assert.equal(chart.marks.length, PROBE.events);
    assert.equal(chart.yAxis, 'sent');
    const { x1, y1, x2, y2 } = chart.diagonal ?? assert.fail('a probe chart has a diagonal');
    for (const m of chart.marks) {
      const onLine = y1 + ((m.x - x1) / (x2 - x1)) * (y2 - y1);
      assert.ok(Math.abs(m.y - onLine) < 1, `event ${m.seq} at ${m.x},${m.y}`);
      assert.equal(m.held, false);
    }
    const xs = chart.marks.map((m) => m.x);
    assert.deepEqual(
      xs,
      [...xs].sort((a, b) => a - b),
    );
  });

  it('stacks a burst in one column: every event of a release shares its x', () => {
    const d = classify(recorded('nginx-ignore-accel'));
    const chart = timelineChart(d);
    const columns = new Set(chart.marks.map((m) => m.x));
    assert.ok(columns.size < chart.marks.length / 2, `${columns.size} columns`);
    assert.ok(chart.marks.some((m) => m.held));
    const carrying = d.releases.filter((r) => r.events > 0);
    assert.equal(chart.releases.length, carrying.length);
    assert.equal(
      chart.releases.reduce((n, r) => n + r.events, 0),
      d.timeline.events.length,
    );
  });
});
