/**
 * Horizontal bars in SVG, one row per name (models, users): long names read better across.
 * Like the column chart, x positions are percentages so the text keeps its size.
 */
import { compact, type Datum, scaleMax } from './column-chart.tsx';

const ROW = 28;
/** Names take the left part, bars the next, the value the rest (percent of the width). */
const LABEL_END = 34;
const BAR_START = 36;
const BAR_SPAN = 50;
const MAX_NAME = 18;

export function BarList({
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
  return (
    <svg
      class="chart bar-list"
      width="100%"
      height={Math.max(ROW * data.length, ROW)}
      role="img"
      aria-label={title}
    >
      {data.map((d, i) => {
        const w = (d.value / max) * BAR_SPAN;
        const y = i * ROW;
        return (
          <g key={d.label} class="bar">
            <title>{`${d.label}: ${format === compact ? d.value : format(d.value)}`}</title>
            <text x={`${LABEL_END}%`} y={y + ROW / 2 + 4} class="label" text-anchor="end">
              {d.label.length > MAX_NAME ? `${d.label.slice(0, MAX_NAME - 1)}…` : d.label}
            </text>
            <rect x={`${BAR_START}%`} y={y + 6} width={`${w}%`} height={ROW - 12} rx={3} />
            <text x={`${BAR_START + w + 1.5}%`} y={y + ROW / 2 + 4} class="value">
              {format(d.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
