/**
 * The terminal timeline: time runs left to right, one column per slice, and each row counts what
 * happened in that slice — events sent (placed where they could have arrived at the earliest),
 * events arrived. A healthy stream shows two matching rows of 1s; a buffer shows the arrivals
 * piled into a few columns.
 */
import { endMarker } from './apis.ts';
import type { Diagnosis } from './diagnosis.ts';
import { formatMs } from './stats.ts';
import { largest, smallest } from './extremes.ts';

const STEPS = [
  1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000,
];
const EMPTY = '·';

export function timelineStrip(diagnosis: Diagnosis, maxColumns = 64): string[] {
  const { timeline, placed } = diagnosis;
  const arrivals = timeline.events.map((e) => e.t);
  const base = placed === undefined ? 0 : Math.max(0, smallest(placed.map((e) => e.lagMs)));
  const sends = placed?.map((e) => e.sentMs + base) ?? [];
  const endMs = Math.max(timeline.end.t, largest(arrivals), largest(sends), 1);
  const step =
    STEPS.find((s) => endMs / s <= maxColumns - 1) ?? Math.ceil(endMs / (maxColumns - 1));
  const columns = Math.floor(endMs / step) + 1;
  const row = (times: readonly number[]): string => {
    const counts = new Array<number>(columns).fill(0);
    for (const t of times) {
      const col = Math.min(columns - 1, Math.max(0, Math.floor(t / step)));
      counts[col] = (counts[col] ?? 0) + 1;
    }
    return counts.map((n) => (n === 0 ? EMPTY : n > 9 ? '+' : String(n))).join('');
  };
  const marks = new Array<string>(columns).fill(' ');
  const mark = (t: number | undefined, char: string): void => {
    if (t !== undefined) marks[Math.min(columns - 1, Math.floor(t / step))] = char;
  };
  mark(timeline.phases.headersMs, 'H');
  mark(
    timeline.end.t,
    timeline.end.kind === 'done' ? 'D' : timeline.end.kind === 'eof' ? 'E' : 'X',
  );
  const rightLabel = formatMs(columns * step);
  const lines = [`one column = ${formatMs(step)}; digits count events (+ for 10 or more)`];
  if (sends.length > 0) lines.push(`sent     ${row(sends)}`);
  lines.push(`arrived  ${row(arrivals)}`);
  lines.push(`         ${marks.join('').trimEnd()}`);
  lines.push(`         0${rightLabel.padStart(Math.max(columns - 1, rightLabel.length))}`);
  const marker = endMarker(timeline.api);
  lines.push(`H headers · D ${marker} · E end without ${marker} · X connection broke or deadline`);
  return lines;
}
