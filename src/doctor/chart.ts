/**
 * The timeline as a chart: one mark per event, across when it arrived, up when it was sent (the
 * probe's own clock, shifted by the smallest lag, so an event no hop held sits on the diagonal).
 * A healthy stream is a line of marks along the diagonal; a buffer stacks them into columns, one
 * column per release; a hold shows as the distance to the right of the diagonal. Without send
 * times (chat mode) an event's height is its place in the stream.
 *
 * Pure geometry in the units of a fixed view box, so the web page (Preact) and the HTML report (a
 * string) draw the very same marks.
 */
import type { Diagnosis } from './diagnosis.ts';
import { isHeld } from './schedule.ts';
import { formatMs } from './stats.ts';
import { largest, smallest } from './extremes.ts';

export interface ChartBox {
  readonly width: number;
  readonly height: number;
}

export interface ChartMark {
  readonly seq: number;
  readonly x: number;
  readonly y: number;
  readonly arrivalMs: number;
  /** Probe only: the send time on the arrival clock (sent + the smallest lag). */
  readonly sentMs?: number;
  /** Probe only: how long a hop kept it beyond the fastest event. */
  readonly holdMs?: number;
  /** Held past half the time to the next send (the classifier's own test). */
  readonly held: boolean;
}

/** A moment on the arrival axis: the headers, the end of the stream. */
export interface ChartGuide {
  readonly kind: 'headers' | 'end';
  readonly x: number;
  readonly ms: number;
}

/** What one release (reads arriving back to back) carried: a bar under the axis, height by events. */
export interface ChartRelease {
  readonly x: number;
  readonly events: number;
  readonly height: number;
}

export interface ChartTick {
  readonly at: number;
  readonly label: string;
}

export interface TimelineChart {
  readonly box: ChartBox;
  /** The plot area inside the box: axes on its left and bottom edges. */
  readonly plot: {
    readonly left: number;
    readonly top: number;
    readonly right: number;
    readonly bottom: number;
  };
  /** `sent`: y is the send time (probe); `order`: y is the event's index (chat). */
  readonly yAxis: 'sent' | 'order';
  /** The last millisecond on the arrival axis. */
  readonly spanMs: number;
  readonly marks: readonly ChartMark[];
  /** Where events that nobody held lie (probe only). */
  readonly diagonal?: {
    readonly x1: number;
    readonly y1: number;
    readonly x2: number;
    readonly y2: number;
  };
  readonly guides: readonly ChartGuide[];
  readonly releases: readonly ChartRelease[];
  readonly xTicks: readonly ChartTick[];
  readonly yTicks: readonly ChartTick[];
}

export const DEFAULT_CHART_BOX: ChartBox = { width: 720, height: 300 };

const MARGIN = { left: 66, right: 16, top: 12, bottom: 52 } as const;
/** The tallest release bar, under the axis, for the release with the most events. */
const RELEASE_BAR = 16;
const STEPS = [
  1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000,
  120_000, 300_000, 600_000,
];

type Chartable = Pick<Diagnosis, 'timeline' | 'placed' | 'releases'>;

export function timelineChart(
  diagnosis: Chartable,
  box: ChartBox = DEFAULT_CHART_BOX,
): TimelineChart {
  const { timeline, placed } = diagnosis;
  const plot = {
    left: MARGIN.left,
    top: MARGIN.top,
    right: box.width - MARGIN.right,
    bottom: box.height - MARGIN.bottom,
  };
  const base =
    placed === undefined || placed.length === 0
      ? 0
      : Math.max(0, smallest(placed.map((e) => e.lagMs)));
  const bySeq = new Map((placed ?? []).map((p) => [p.seq, p]));
  const arrivals = timeline.events.map((e) => e.t);
  const sends = (placed ?? []).map((p) => p.sentMs + base);
  const spanMs = Math.max(
    1,
    timeline.end.t,
    timeline.phases.headersMs ?? 0,
    largest(arrivals),
    largest(sends),
  );
  const x = (ms: number): number => px(plot.left + (ms / spanMs) * (plot.right - plot.left));
  const yAxis = placed === undefined ? 'order' : 'sent';
  const count = Math.max(1, timeline.events.length);
  const y = (value: number): number => {
    const share = yAxis === 'sent' ? value / spanMs : value / count;
    return px(plot.bottom - share * (plot.bottom - plot.top));
  };

  const marks = timeline.events.map((event, index): ChartMark => {
    const p = bySeq.get(event.seq);
    if (yAxis === 'order' || p === undefined) {
      return { seq: event.seq, x: x(event.t), y: y(index + 1), arrivalMs: event.t, held: false };
    }
    const sentMs = p.sentMs + base;
    return {
      seq: event.seq,
      x: x(event.t),
      y: y(sentMs),
      arrivalMs: event.t,
      sentMs,
      holdMs: p.holdMs,
      held: isHeld(p),
    };
  });

  const guides: ChartGuide[] = [];
  const headersMs = timeline.phases.headersMs;
  if (headersMs !== undefined) guides.push({ kind: 'headers', x: x(headersMs), ms: headersMs });
  guides.push({ kind: 'end', x: x(timeline.end.t), ms: timeline.end.t });

  const most = Math.max(1, largest(diagnosis.releases.map((r) => r.events)));
  const releases = diagnosis.releases
    .filter((r) => r.events > 0)
    .map((r) => ({ x: x(r.t), events: r.events, height: px((r.events / most) * RELEASE_BAR) }));

  const step = niceStep(spanMs, 6);
  const xTicks: ChartTick[] = [];
  const yTicks: ChartTick[] = [];
  for (let ms = 0; ms <= spanMs; ms += step) {
    xTicks.push({ at: x(ms), label: formatMs(ms) });
    if (yAxis === 'sent') yTicks.push({ at: y(ms), label: formatMs(ms) });
  }
  if (yAxis === 'order') {
    const every = niceStep(count, 4);
    for (let n = 0; n <= count; n += every) yTicks.push({ at: y(n), label: String(n) });
  }

  return {
    box,
    plot,
    yAxis,
    spanMs,
    marks,
    ...(yAxis === 'sent' ? { diagonal: { x1: x(0), y1: y(0), x2: x(spanMs), y2: y(spanMs) } } : {}),
    guides,
    releases,
    xTicks,
    yTicks,
  };
}

/** The smallest round step that cuts `span` into at most `parts` pieces. */
function niceStep(span: number, parts: number): number {
  return STEPS.find((s) => span / s <= parts) ?? Math.ceil(span / parts);
}

/** To a tenth of a unit: enough for a screen, short in the markup. */
function px(value: number): number {
  return Math.round(value * 10) / 10;
}
