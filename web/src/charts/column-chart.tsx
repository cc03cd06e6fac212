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

export function ColumnChart({
  data,
  title,
  format = compact,
}: {
  data: readonly Datum[];
  title: string;
  /** How a bar's value is written (default `compact`: 1.2k). */
  format?: (value: number) => string;
}) {
  const max = scaleMax(data);
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
            <title>{`${d.label}: ${format === compact ? d.value : format(d.value)}`}</title>
            <rect
              x={`${(i + 0.15) * slot}%`}
              y={y}
              width={`${slot * 0.7}%`}
              height={Math.max(h, d.value > 0 ? 1 : 0)}
              rx={3}
            />
            {data.length <= 2 * MAX_LABELS && (
              <text x={center} y={y - 4} class="value" text-anchor="middle">
                {format(d.value)}
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

/**
 * The value the tallest bar stands for: the largest, so sums of a few cents fill the chart as
 * counts do; 1 when there is nothing above 0, so an empty chart divides by no zero.
 */
export function scaleMax(data: readonly Datum[]): number {
  const largest = Math.max(0, ...data.map((d) => d.value));
  return largest > 0 ? largest : 1;
}

/** Money in US dollars: cents when there are dollars, more digits for the small sums of tokens. */
export function usd(value: number): string {
  if (value === 0) return '$0';
  if (value >= 100) return `$${Math.round(value)}`;
  if (value >= 1) return `$${value.toFixed(2)}`;
  if (value >= 0.01) return `$${value.toFixed(3)}`;
  return `$${value.toPrecision(2)}`;
}
