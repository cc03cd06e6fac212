/**
 * Vertical bars in plain SVG (no chart library: a few rectangles need none). Positions are
 * percentages of the chart's width, so it fills its box at any size while the text keeps its
 * size; every bar has a <title>, so its exact value shows on hover.
 */
export interface Datum {
  readonly label: string;
  readonly value: number;
}

const HEIGHT = 180;
const LABEL_SPACE = 22;
const TOP_SPACE = 18;
/** Past this many bars only every n-th label is written, so they do not overlap. */
const MAX_LABELS = 10;
/** A bar never takes more than this share of the width: one day alone is not a wall. */
const MIN_SLOTS = 6;

export function ColumnChart({ data, title }: { data: readonly Datum[]; title: string }) {
  const max = Math.max(1, ...data.map((d) => d.value));
  const slot = 100 / Math.max(data.length, MIN_SLOTS);
  const plot = HEIGHT - LABEL_SPACE - TOP_SPACE;
  const every = Math.ceil(data.length / MAX_LABELS);
  return (
    <svg class="chart column-chart" width="100%" height={HEIGHT} role="img" aria-label={title}>
      <line x1="0" x2="100%" y1={TOP_SPACE + plot} y2={TOP_SPACE + plot} class="axis" />
      {data.map((d, i) => {
        const h = (d.value / max) * plot;
        const y = TOP_SPACE + plot - h;
        const center = `${(i + 0.5) * slot}%`;
        return (
          <g key={d.label} class="bar">
            <title>{`${d.label}: ${d.value}`}</title>
            <rect
              x={`${(i + 0.15) * slot}%`}
              y={y}
              width={`${slot * 0.7}%`}
              height={Math.max(h, d.value > 0 ? 1 : 0)}
              rx={3}
            />
            {data.length <= 2 * MAX_LABELS && (
              <text x={center} y={y - 4} class="value" text-anchor="middle">
                {compact(d.value)}
              </text>
            )}
            {i % every === 0 && (
              <text x={center} y={HEIGHT - 6} class="label" text-anchor="middle">
                {d.label}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** 1234 → 1.2k: bars have little room for digits. */
export function compact(value: number): string {
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(1)}M`;
  if (value >= 10_000) return `${Math.round(value / 1000)}k`;
  if (value >= 1000) return `${(value / 1000).toFixed(1)}k`;
  return String(Math.round(value * 100) / 100);
}
