/**
 * `sluice doctor --html FILE`: the report as one self-contained page to attach to a ticket —
 * inline CSS and SVG, no script, nothing fetched — with the verdict, the timeline chart, each
 * cause's evidence and fix, and the response headers. Pure (a string out), so the web page can
 * offer the same file for download.
 *
 * Every value is escaped where it is written: header values, URLs and fix text come from hops
 * the user does not control. The page also forbids every script and fetch by its own CSP, so a
 * slip in escaping could still run nothing.
 */
import { endMarker } from './apis.ts';
import type { ChainResult } from './chain.ts';
import { timelineChart } from './chart.ts';
import { CHART_LEGEND, chartSvg } from './chart-svg.ts';
import type { Comparison } from './compare.ts';
import type { Cause, Diagnosis } from './diagnosis.ts';
import { HOP_NAMES } from './fingerprints.ts';
import type { Fix } from './fixes.ts';
import { escapeHtml } from './html-escape.ts';
import { formatMs } from './stats.ts';
import { describeUpstream } from './upstream-leg.ts';
import type { Timeline } from './timeline.ts';

export { escapeHtml };

export interface HtmlReportOptions {
  /** When the measurement was made, shown in the page. */
  readonly generatedAt: Date;
}

/** One run's report. */
export function htmlReport(diagnosis: Diagnosis, options: HtmlReportOptions): string {
  const primary = diagnosis.causes[0];
  return page(
    `Sluice doctor: ${diagnosis.verdict.toUpperCase()} — ${diagnosis.timeline.url}`,
    options,
    [
      verdictHeading('h1', diagnosis, primary),
      `<p class="url">${esc(diagnosis.timeline.url)}</p>`,
      runBody(diagnosis, 'h2'),
    ],
  );
}

/** `--compare`: the difference first, then each run in full. */
export function htmlComparisonReport(comparison: Comparison, options: HtmlReportOptions): string {
  const urls = comparison.runs.map((d) => d.timeline.url).join(' vs ');
  return page(`Sluice doctor: ${comparison.verdict.toUpperCase()} — ${urls}`, options, [
    `<h1 class="verdict" data-verdict="${esc(comparison.verdict)}">${badge(comparison.verdict)} ${esc(urls)}</h1>`,
    `<p class="difference">${esc(comparison.difference)}</p>`,
    ...comparison.runs.map(
      (d) =>
        `<section class="run">${verdictHeading('h2', d, d.causes[0])}` +
        `<p class="url">${esc(d.timeline.url)}</p>${runBody(d, 'h3')}</section>`,
    ),
  ]);
}

/**
 * `--chain`: where the problem first appears and its fix for that hop, then every point in full,
 * outermost first.
 */
export function htmlChainReport(chain: ChainResult, options: HtmlReportOptions): string {
  const urls = chain.runs.map((d) => d.timeline.url).join(' → ');
  const { culprit } = chain;
  return page(`Sluice doctor: ${chain.verdict.toUpperCase()} — ${urls}`, options, [
    `<h1 class="verdict" data-verdict="${esc(chain.verdict)}">${badge(chain.verdict)} ${esc(urls)}</h1>`,
    `<p class="difference">${esc(chain.summary)}</p>`,
    ...(culprit === undefined ? [] : [causeSection(culprit.cause, 'h2')]),
    ...chain.runs.map(
      (d, i) =>
        `<section class="run"><p class="kicker">Point ${i + 1} of ${chain.runs.length}</p>` +
        verdictHeading('h2', d, d.causes[0]) +
        `<p class="url">${esc(d.timeline.url)}</p>${runBody(d, 'h3')}</section>`,
    ),
  ]);
}

const esc = escapeHtml;

function page(title: string, options: HtmlReportOptions, body: readonly string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="color-scheme" content="light dark">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="kicker">Sluice doctor report · measured ${esc(options.generatedAt.toISOString())}</p>
${body.join('\n')}
<footer>Written by <code>sluice doctor --html</code>. The same findings as the command's report; this page runs no script and loads nothing.</footer>
</main>
</body>
</html>
`;
}

function verdictHeading(tag: 'h1' | 'h2', d: Diagnosis, primary: Cause | undefined): string {
  const title = primary === undefined ? '' : ` ${esc(primary.title)}`;
  return `<${tag} class="verdict" data-verdict="${esc(d.verdict)}">${badge(d.verdict)}${title}</${tag}>`;
}

function badge(verdict: string): string {
  return `<span class="badge badge-${esc(verdict)}">${esc(verdict.toUpperCase())}</span>`;
}

function runBody(d: Diagnosis, h: 'h2' | 'h3'): string {
  const path = pathItems(d);
  const earlier = (d.earlier ?? []).map(
    (e) =>
      `twice: the first measurement looked borderline (${e.verdict.toUpperCase()}: ${e.title}); this is the second`,
  );
  const parts = [
    // The path, when the probe reported it, holds the named hops and the silent ones.
    '<dl class="facts">' +
      (path.length === 0
        ? `<dt>Hops</dt><dd>${esc(hopsText(d))}</dd>`
        : `<dt>Path</dt><dd><ul class="path">${path.map((p) => `<li>${esc(p)}</li>`).join('')}</ul></dd>`) +
      (d.timeline.upstream === undefined
        ? ''
        : `<dt>Behind</dt><dd>${esc(describeUpstream(d.timeline.upstream))}</dd>`) +
      `<dt>Timing</dt><dd>${esc(timingText(d))}</dd>` +
      earlier.map((e) => `<dt>Measured</dt><dd>${esc(e)}</dd>`).join('') +
      '</dl>',
  ];
  if (d.timeline.events.length > 0) {
    parts.push(
      `<figure>${chartSvg(timelineChart(d))}<figcaption>${CHART_LEGEND}</figcaption></figure>`,
    );
  }
  parts.push(...d.causes.map((c) => causeSection(c, h)));
  parts.push(headersSection(d, h));
  return parts.join('\n');
}

function causeSection(cause: Cause, h: 'h2' | 'h3'): string {
  const tag = cause.severity === 'problem' ? 'Cause' : cause.severity === 'warning' ? 'Note' : 'OK';
  const lines = [
    `<section class="cause ${esc(cause.severity)}" data-cause="${esc(cause.id)}">`,
    `<${h}><span class="tag">${tag}</span> ${esc(cause.title)} <code>${esc(cause.id)}</code></${h}>`,
  ];
  if (cause.evidence.length > 0) {
    lines.push(
      `<ul class="evidence">${cause.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`,
    );
  }
  if (cause.suspected) {
    const text =
      cause.suspect ??
      `not named by any header; suspected from the numbers: ${cause.hops.map(hopName).join(', ')}`;
    lines.push(`<p class="suspected">Which hop: ${esc(text)}</p>`);
  }
  for (const fix of cause.fixes) lines.push(fixBlock(fix, cause.suspected));
  lines.push('</section>');
  return lines.join('\n');
}

/** A fix for a hop only suspected reads as a guess: "if it is nginx". */
function fixBlock(fix: Fix, suspected: boolean): string {
  const where = fix.where === undefined ? '' : `, ${esc(fix.where)}`;
  const snippet = fix.snippet === undefined ? '' : `<pre>${esc(fix.snippet)}</pre>`;
  const guess = suspected && fix.hop !== 'any' && fix.hop !== 'sluice';
  return (
    `<div class="fix"><p class="fix-head">Fix — ${guess ? 'if it is ' : ''}${esc(fixWho(fix))}${where}</p>` +
    `${snippet}<p>${esc(fix.text)}</p></div>`
  );
}

function headersSection(d: Diagnosis, h: 'h2' | 'h3'): string {
  const rows = Object.entries(d.timeline.headers)
    .map(([name, value]) => `<tr><th>${esc(name)}</th><td>${esc(value)}</td></tr>`)
    .join('');
  const empty = rows === '' ? '<p>No response arrived.</p>' : '';
  return `<section class="headers"><${h}>Response headers</${h}>${empty}${rows === '' ? '' : `<table>${rows}</table>`}</section>`;
}

function hopName(hop: string): string {
  return (HOP_NAMES as Readonly<Record<string, string>>)[hop] ?? hop;
}

function fixWho(fix: Fix): string {
  return fix.hop === 'any' ? 'any hop' : fix.hop === 'sluice' ? 'Sluice' : hopName(fix.hop);
}

function hopsText(d: Diagnosis): string {
  const named = d.fingerprints
    .filter((f) => f.signal !== 'hop' || f.hop !== undefined)
    .map((f) => (f.signal === 'hop' ? `${f.header}: ${f.value}` : f.meaning));
  if (named.length === 0) return 'none named by the response headers';
  const names = d.hops.map(hopName).join(', ');
  return `${names === '' ? 'none named' : names} (${named.join('; ')})`;
}

/** What the probe saw arrive: how many hops, which named themselves, which did not. */
function pathItems(d: Diagnosis): string[] {
  const { path } = d;
  if (!path.seen) return [];
  const items = [
    path.atLeast === 0
      ? 'no hop seen on the request: the doctor reached Sluice directly, or through hops that change nothing'
      : `at least ${path.atLeast} hop${path.atLeast === 1 ? '' : 's'} before Sluice`,
    ...path.named.map((hop) => `${hop.name} (${hop.evidence.join('; ')})`),
    ...path.silent.map((hop) => `${hop.where} (${hop.evidence})`),
  ];
  if (path.httpVersion !== undefined) items.push(`HTTP/${path.httpVersion} at Sluice`);
  items.push(...path.notes);
  if (path.replayed) items.push("the probe echoed another run's token: a recording");
  return items;
}

function timingText(d: Diagnosis): string {
  const { timeline } = d;
  const { phases } = timeline;
  const parts: string[] = [];
  const add = (label: string, ms: number | undefined): void => {
    if (ms !== undefined) parts.push(`${label} ${formatMs(ms)}`);
  };
  add('dns', phases.dnsMs);
  add('connect', phases.connectMs);
  add('tls', phases.tlsMs);
  if (timeline.protocol !== undefined)
    parts.push(timeline.protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1');
  add('headers', phases.headersMs);
  add('first event', timeline.events[0]?.t);
  parts.push(`end ${formatMs(timeline.end.t)} (${endText(timeline)})`);
  const expected = timeline.probe === undefined ? '' : `/${timeline.probe.events}`;
  parts.push(`${timeline.events.length}${expected} events in ${timeline.reads.length} reads`);
  if (timeline.status !== undefined) parts.push(`HTTP ${timeline.status}`);
  return parts.join(' · ');
}

function endText({ end, api }: Timeline): string {
  return end.kind === 'done' ? endMarker(api) : end.kind;
}

const STYLE = `
:root{--bg:#fff;--fg:#1c1e21;--muted:#5f6670;--line:#dcdfe4;--code:#f4f5f7;--bad:#c62828;--warn:#b7791f;--ok:#1b7f3b;--dot:#2563eb}
@media (prefers-color-scheme:dark){:root{--bg:#121317;--fg:#e6e7ea;--muted:#9aa1ab;--line:#33363e;--code:#1b1d22;--bad:#ef6b6b;--warn:#fbd38d;--ok:#5ccf85;--dot:#4f8cff}}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:980px;margin:0 auto;padding:1.5rem}
h1{font-size:1.35rem;margin:.3rem 0}h2{font-size:1.15rem;margin:1.4rem 0 .4rem}h3{font-size:1rem;margin:1rem 0 .3rem}
.kicker,.url,footer,figcaption,.suspected{color:var(--muted)}
.url{overflow-wrap:anywhere;margin:0 0 1rem}
.badge{display:inline-block;padding:.05rem .55rem;border-radius:999px;border:1px solid currentColor;font-size:.85em;letter-spacing:.03em}
.badge-ok{color:var(--ok)}.badge-delayed{color:var(--warn)}
.badge-buffered,.badge-cut,.badge-unreachable,.badge-error{color:var(--bad)}
.difference{font-weight:600}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}
.facts dt{color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
.path{margin:0;padding-left:1.1rem}
figure{margin:0 0 1rem}
.chart{width:100%;height:auto;border:1px solid var(--line);border-radius:8px}
.chart .axis{stroke:var(--muted)}.chart .grid{stroke:var(--line)}
.chart .tick,.chart .guide-label,.chart .axis-title{font-size:11px;fill:var(--muted)}
.chart .diagonal{stroke:var(--ok);stroke-dasharray:4 4}
.chart .guide{stroke:var(--muted);stroke-dasharray:2 3}
.chart .release{fill:var(--muted)}
.chart .event{fill:var(--dot)}.chart .event.held{fill:var(--bad)}
.cause{border-left:4px solid var(--line);padding:.1rem 0 .1rem 1rem;margin:1rem 0}
.cause.problem{border-color:var(--bad)}.cause.warning{border-color:var(--warn)}.cause.ok{border-color:var(--ok)}
.tag{font-size:.8em;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.evidence{margin:.3rem 0;padding-left:1.2rem}
.fix{background:var(--code);border:1px solid var(--line);border-radius:8px;padding:.2rem .8rem;margin:.5rem 0}
.fix-head{font-weight:600}
pre,code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
pre{white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;vertical-align:top;padding:.25rem .6rem;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
th{white-space:nowrap;font-weight:600;color:var(--muted)}
footer{margin-top:2rem;font-size:.85rem}
`;
