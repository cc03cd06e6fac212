/**
 * The probe's events drawn as the CLI's HTML report draws them (src/doctor/chart.ts gives both
 * the same geometry): across, when this browser received each event; up, when Sluice sent it.
 * Marks on the dashed diagonal arrived as sent; a column of marks is a burst.
 */
import { type ChartMark, formatMs, type TimelineChart } from '../../../src/doctor/browser.ts';
import { useLocale } from '../i18n/locale.ts';

export function ProbeChart({ chart }: { chart: TimelineChart }) {
  const { t } = useLocale();
  const { box, plot } = chart;
  const title = (m: ChartMark): string =>
    t('doctorEventTitle', {
      seq: m.seq,
      sent: m.sentMs === undefined ? '–' : formatMs(m.sentMs),
      received: formatMs(m.arrivalMs),
      held: m.holdMs === undefined ? '–' : formatMs(m.holdMs),
    });
  return (
    <svg
      class="probe-chart"
      viewBox={`0 0 ${box.width} ${box.height}`}
      role="img"
      aria-label={t('doctorChartTitle')}
      data-testid="probe-chart"
    >
      <line class="axis" x1={plot.left} y1={plot.bottom} x2={plot.right} y2={plot.bottom} />
      <line class="axis" x1={plot.left} y1={plot.top} x2={plot.left} y2={plot.bottom} />
      {chart.xTicks.map((tick) => (
        <g key={`x${tick.at}`}>
          <line class="grid" x1={tick.at} y1={plot.top} x2={tick.at} y2={plot.bottom} />
          <text class="tick" x={tick.at} y={plot.bottom + 14} text-anchor="middle">
            {tick.label}
          </text>
        </g>
      ))}
      {chart.yTicks.map((tick) => (
        <text key={`y${tick.at}`} class="tick" x={plot.left - 6} y={tick.at + 4} text-anchor="end">
          {tick.label}
        </text>
      ))}
      {chart.diagonal !== undefined && (
        <line
          class="diagonal"
          x1={chart.diagonal.x1}
          y1={chart.diagonal.y1}
          x2={chart.diagonal.x2}
          y2={chart.diagonal.y2}
        />
      )}
      {chart.guides.map((guide) => (
        <g key={guide.kind} class={`guide ${guide.kind}`}>
          <line x1={guide.x} y1={plot.top} x2={guide.x} y2={plot.bottom} />
          <text
            class="guide-label"
            x={guide.kind === 'end' ? guide.x - 3 : guide.x + 3}
            y={plot.top + 10}
            text-anchor={guide.kind === 'end' ? 'end' : 'start'}
          >
            {`${t(guide.kind === 'headers' ? 'doctorGuideHeaders' : 'doctorGuideEnd')} ${formatMs(guide.ms)}`}
          </text>
        </g>
      ))}
      {chart.releases.map((release, i) => (
        <rect
          key={`r${i}`}
          class="release"
          x={release.x - 1}
          y={plot.bottom + 20}
          width={2}
          height={release.height}
        />
      ))}
      {chart.marks.map((mark) => (
        <circle
          key={mark.seq}
          class={mark.held ? 'event held' : 'event'}
          cx={mark.x}
          cy={mark.y}
          r={3.5}
          data-seq={mark.seq}
        >
          <title>{title(mark)}</title>
        </circle>
      ))}
      <text
        class="axis-title"
        x={(plot.left + plot.right) / 2}
        y={box.height - 4}
        text-anchor="middle"
      >
        {t('doctorAxisReceived')}
      </text>
      <text
        class="axis-title"
        transform={`translate(12 ${(plot.top + plot.bottom) / 2}) rotate(-90)`}
        text-anchor="middle"
      >
        {t('doctorAxisSent')}
      </text>
    </svg>
  );
}
