/**
 * The doctor's timeline chart (chart.ts) as SVG markup, for the HTML report: one `circle.event`
 * per event, the diagonal where events arrive as sent, the headers and the end, the releases
 * under the axis. The web page draws the same geometry with Preact (web/src/doctor/probe-chart.tsx).
 */
import type { ChartGuide, TimelineChart } from './chart.ts';
import { escapeHtml as esc } from './html-escape.ts';
import { formatMs } from './stats.ts';

/** What the chart shows, in words, under it. */
export const CHART_LEGEND =
  'Each dot is one event: across, when it arrived; up, when it was sent. On the dashed ' +
  'diagonal it arrived as sent; to the right of it, a hop held it; a column of dots is a burst ' +
  'released at once. The bars under the axis are the reads that carried events.';

/** The chart as SVG markup; every label escaped. */
export function chartSvg(chart: TimelineChart): string {
  const { box, plot } = chart;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${box.width} ${box.height}" role="img" aria-label="Events: arrival against send time">`,
    `<line class="axis" x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}"/>`,
    `<line class="axis" x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}"/>`,
  ];
  for (const t of chart.xTicks) {
    out.push(
      `<line class="grid" x1="${t.at}" y1="${plot.top}" x2="${t.at}" y2="${plot.bottom}"/>`,
      `<text class="tick" x="${t.at}" y="${plot.bottom + 14}" text-anchor="middle">${esc(t.label)}</text>`,
    );
  }
  for (const t of chart.yTicks) {
    out.push(
      `<text class="tick" x="${plot.left - 6}" y="${t.at + 4}" text-anchor="end">${esc(t.label)}</text>`,
    );
  }
  const { diagonal } = chart;
  if (diagonal !== undefined) {
    out.push(
      `<line class="diagonal" x1="${diagonal.x1}" y1="${diagonal.y1}" x2="${diagonal.x2}" y2="${diagonal.y2}"/>`,
    );
  }
  for (const g of chart.guides) out.push(guideSvg(g, plot.top, plot.bottom));
  for (const r of chart.releases) {
    out.push(
      `<rect class="release" x="${r.x - 1}" y="${plot.bottom + 20}" width="2" height="${r.height}"><title>${r.events} event(s) in one release</title></rect>`,
    );
  }
  for (const m of chart.marks) {
    const sent = m.sentMs === undefined ? '' : `, sent ${formatMs(m.sentMs)}`;
    const hold = m.holdMs === undefined ? '' : `, held ${formatMs(m.holdMs)}`;
    out.push(
      `<circle class="event${m.held ? ' held' : ''}" cx="${m.x}" cy="${m.y}" r="3.5" data-seq="${m.seq}"><title>event ${m.seq}: arrived ${formatMs(m.arrivalMs)}${sent}${hold}</title></circle>`,
    );
  }
  const yTitle = chart.yAxis === 'sent' ? 'sent' : 'event';
  out.push(
    `<text class="axis-title" x="${(plot.left + plot.right) / 2}" y="${box.height - 4}" text-anchor="middle">arrived (since the request started)</text>`,
    `<text class="axis-title" transform="translate(12 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">${yTitle}</text>`,
    '</svg>',
  );
  return out.join('\n');
}

function guideSvg(g: ChartGuide, top: number, bottom: number): string {
  return (
    `<line class="guide ${g.kind}" x1="${g.x}" y1="${top}" x2="${g.x}" y2="${bottom}"/>` +
    // The end sits at the right edge: its label goes to the left of its line.
    `<text class="guide-label" x="${g.kind === 'end' ? g.x - 3 : g.x + 3}" y="${top + 10}" ` +
    `text-anchor="${g.kind === 'end' ? 'end' : 'start'}">${g.kind} ${esc(formatMs(g.ms))}</text>`
  );
}
