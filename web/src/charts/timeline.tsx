/**
 * One request along its time axis: a track from its start to its end with a mark at each
 * moment measured (first byte, first token, …). Like the other charts, x positions are
 * percentages, so the text keeps its size at any width. A moment not measured is not drawn;
 * a request still running has no end, and its track runs to its latest moment.
 */
export interface Moment {
  /** Stable, for keys and tests: `first-byte`, `first-token`, `end`. */
  readonly id: string;
  readonly label: string;
  /** Milliseconds after the request started. */
  readonly ms: number;
}

const TRACK_Y = 46;
/**
 * Label rows, by a moment's place in time order: near above, near below, far above, far below.
 * Moments close in time (first byte and first token are often a millisecond apart) take
 * different rows, so no label writes over the next.
 */
const LANES = [-14, 24, -32, 42] as const;
const HEIGHT = TRACK_Y + 50;
/** The ends of the track, in percent of the width: room for the labels at either end. */
const LEFT = 4;
const SPAN = 92;

export function Timeline({
  moments,
  endMs,
  title,
  format,
}: {
  moments: readonly Moment[];
  /** The end of the request, or `null` while it runs. */
  endMs: number | null;
  title: string;
  format: (ms: number) => string;
}) {
  const total = Math.max(endMs ?? 0, ...moments.map((m) => m.ms), 1);
  const x = (ms: number) => LEFT + (Math.min(ms, total) / total) * SPAN;
  const sorted = [...moments].sort((a, b) => a.ms - b.ms);
  return (
    <svg class="chart timeline" width="100%" height={HEIGHT} role="img" aria-label={title}>
      <line class="track" x1={`${LEFT}%`} x2={`${x(total)}%`} y1={TRACK_Y} y2={TRACK_Y} />
      {sorted.map((m, i) => {
        const lane = LANES[i % LANES.length] ?? 0;
        const anchor = x(m.ms) > 80 ? 'end' : x(m.ms) < 20 ? 'start' : 'middle';
        return (
          <g key={m.id} class={`moment ${m.id}`} data-moment={m.id}>
            <title>{`${m.label}: ${format(m.ms)}`}</title>
            <circle cx={`${x(m.ms)}%`} cy={TRACK_Y} r={5} />
            <text x={`${x(m.ms)}%`} y={TRACK_Y + lane} text-anchor={anchor} class="label">
              {`${m.label} ${format(m.ms)}`}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
