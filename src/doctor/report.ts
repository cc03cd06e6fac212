/** The readable report: verdict first, then the hops, the timing, the timeline, each cause and its fix. */
import { endMarker } from './apis.ts';
import type { ChainResult } from './chain.ts';
import type { Comparison } from './compare.ts';
import type { Cause, Diagnosis } from './diagnosis.ts';
import { HOP_NAMES } from './fingerprints.ts';
import { formatMs } from './stats.ts';
import { timelineStrip } from './strip.ts';
import { describeUpstream } from './upstream-leg.ts';

const WIDTH = 100;
const LABEL = 10;

export function renderReport(diagnosis: Diagnosis): string {
  const { timeline } = diagnosis;
  const lines: string[] = [];
  const field = (label: string, text: string): void => {
    lines.push(
      ...wrap(text, WIDTH - LABEL).map(
        (line, i) => `${(i === 0 ? label : '').padEnd(LABEL)}${line}`,
      ),
    );
  };
  field('doctor', timeline.url);
  const primary = diagnosis.causes[0];
  field(
    'verdict',
    `${diagnosis.verdict.toUpperCase()}${primary === undefined ? '' : `: ${primary.title}`}`,
  );
  field('hops', hopsLine(diagnosis));
  const path = pathLine(diagnosis);
  if (path !== undefined) field('path', path);
  if (timeline.upstream !== undefined) field('behind', describeUpstream(timeline.upstream));
  field('timing', timingLine(diagnosis));
  // The probe is made by Sluice: the way from Sluice to its provider is not on its path.
  if (timeline.mode === 'probe' && diagnosis.verdict === 'ok') field('reach', PROBE_REACH);
  for (const earlier of diagnosis.earlier ?? []) {
    field(
      'measured',
      `twice: the first measurement looked borderline (${earlier.verdict.toUpperCase()}: ${earlier.title}); this is the second`,
    );
  }
  if (timeline.events.length > 0) {
    lines.push('');
    const strip = timelineStrip(diagnosis);
    lines.push(
      `${'timeline'.padEnd(LABEL)}${strip[0] ?? ''}`,
      ...strip.slice(1).map((l) => ' '.repeat(LABEL) + l),
    );
  }
  for (const cause of diagnosis.causes) lines.push('', ...renderCause(cause));
  return `${lines.join('\n')}\n`;
}

/**
 * `--chain`: one line per point, the full report of the point where the problem first appears,
 * then where it sits and its fix for that hop.
 */
export function renderChain(chain: ChainResult): string {
  const lines: string[] = [];
  chain.runs.forEach((run, i) => {
    const primary = run.causes[0];
    const text = `${run.verdict.toUpperCase()}${primary === undefined ? '' : `: ${primary.title}`}`;
    wrap(`${run.timeline.url} — ${text}`, WIDTH - LABEL).forEach((l, j) => {
      lines.push(`${(j === 0 ? `point ${i + 1}` : '').padEnd(LABEL)}${l}`);
    });
  });
  const culprit = chain.culprit;
  const at = culprit === undefined ? undefined : chain.runs[culprit.index];
  if (at !== undefined) lines.push('', renderReport(at).trimEnd());
  lines.push('');
  wrap(chain.summary, WIDTH - LABEL).forEach((l, i) => {
    lines.push(`${(i === 0 ? 'chain' : '').padEnd(LABEL)}${l}`);
  });
  if (culprit !== undefined) lines.push('', ...renderCause(culprit.cause));
  return `${lines.join('\n')}\n`;
}

export function renderComparison(comparison: Comparison): string {
  const [a, b] = comparison.runs;
  return [
    renderReport(a),
    renderReport(b),
    ...wrap(comparison.difference, WIDTH - LABEL).map(
      (l, i) => `${(i === 0 ? 'compare' : '').padEnd(LABEL)}${l}`,
    ),
    '',
  ].join('\n');
}

const PROBE_REACH =
  "the probe is Sluice's own stream: it checks the hops in front of Sluice. For the way from Sluice to its provider too (a relay, a proxy in front of it, the egress proxy), run again with --key and --model";

/** Cause sections indent a little deeper than the header fields: "  evidence  - …". */
const CAUSE_LABEL = 12;

function renderCause(cause: Cause): string[] {
  const tag = cause.severity === 'problem' ? 'cause' : cause.severity === 'warning' ? 'note' : 'ok';
  const lines = wrap(`${tag}: ${cause.id} — ${cause.title}`, WIDTH - 2).map((l, i) =>
    i === 0 ? l : `  ${l}`,
  );
  const indent = ' '.repeat(CAUSE_LABEL);
  cause.evidence.forEach((item, i) => {
    wrap(item, WIDTH - CAUSE_LABEL - 2).forEach((l, j) => {
      const label = i === 0 && j === 0 ? '  evidence' : '';
      lines.push(`${label.padEnd(CAUSE_LABEL)}${j === 0 ? '- ' : '  '}${l}`);
    });
  });
  if (cause.suspected) {
    const names = cause.hops.map((h) => HOP_NAMES[h]).join(', ');
    const text = cause.suspect ?? `not named by any header; suspected from the numbers: ${names}`;
    wrap(text, WIDTH - CAUSE_LABEL).forEach((l, i) => {
      lines.push(`${(i === 0 ? '  hop' : '').padEnd(CAUSE_LABEL)}${l}`);
    });
  }
  cause.fixes.forEach((fix, i) => {
    const guess = cause.suspected && fix.hop !== 'any' && fix.hop !== 'sluice';
    const who =
      fix.hop === 'any' ? 'any hop' : fix.hop === 'sluice' ? 'Sluice' : HOP_NAMES[fix.hop];
    const head = `${guess ? `if it is ${who}` : who}${fix.where === undefined ? '' : `, ${fix.where}`}:`;
    lines.push(`${(i === 0 ? '  fix' : '').padEnd(CAUSE_LABEL)}${head}`);
    for (const line of fix.snippet?.split('\n') ?? []) {
      lines.push(`${indent}    ${line.replaceAll('\t', '  ')}`);
    }
    for (const line of wrap(fix.text, WIDTH - CAUSE_LABEL - 2)) lines.push(`${indent}  ${line}`);
  });
  return lines;
}

function hopsLine(diagnosis: Diagnosis): string {
  const named = diagnosis.fingerprints
    .filter((f) => f.signal !== 'hop' || f.hop !== undefined)
    .map((f) => (f.signal === 'hop' ? `${f.header}: ${f.value}` : f.meaning));
  const names = diagnosis.hops.map((h) => HOP_NAMES[h]).join(', ');
  if (named.length === 0) return 'none named by the response headers';
  return `${names === '' ? 'none named' : names} (${named.join('; ')})`;
}

/** What the probe saw arrive: how many hops, which named themselves, which did not. */
function pathLine(diagnosis: Diagnosis): string | undefined {
  const path = diagnosis.path;
  if (!path.seen) return undefined;
  const parts: string[] = [];
  parts.push(
    path.atLeast === 0
      ? 'no hop seen on the request: the doctor reached Sluice directly, or through hops that change nothing'
      : `at least ${path.atLeast} hop${path.atLeast === 1 ? '' : 's'} before Sluice`,
  );
  for (const hop of path.named) parts.push(`${hop.name} (${hop.evidence.join('; ')})`);
  for (const hop of path.silent) parts.push(`${hop.where} (${hop.evidence})`);
  if (path.httpVersion !== undefined) parts.push(`HTTP/${path.httpVersion} at Sluice`);
  parts.push(...path.notes);
  if (path.replayed) parts.push("the probe echoed another run's token: a recording");
  return parts.join(' · ');
}

function timingLine(diagnosis: Diagnosis): string {
  const { timeline } = diagnosis;
  const { phases } = timeline;
  const parts: string[] = [];
  if (phases.dnsMs !== undefined) parts.push(`dns ${formatMs(phases.dnsMs)}`);
  if (phases.connectMs !== undefined) parts.push(`connect ${formatMs(phases.connectMs)}`);
  if (phases.tlsMs !== undefined) parts.push(`tls ${formatMs(phases.tlsMs)}`);
  if (timeline.protocol !== undefined)
    parts.push(timeline.protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1');
  if (phases.headersMs !== undefined) parts.push(`headers ${formatMs(phases.headersMs)}`);
  const first = timeline.events[0];
  if (first !== undefined) parts.push(`first event ${formatMs(first.t)}`);
  const end = timeline.end.kind === 'done' ? endMarker(timeline.api) : timeline.end.kind;
  parts.push(`end ${formatMs(timeline.end.t)} (${end})`);
  const expected = timeline.probe === undefined ? '' : `/${timeline.probe.events}`;
  parts.push(`${timeline.events.length}${expected} events in ${timeline.reads.length} reads`);
  if (timeline.status !== undefined) parts.push(`HTTP ${timeline.status}`);
  return parts.join(' · ');
}

/** Greedy word wrap; words longer than the width stay whole. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (word === '') continue;
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}
