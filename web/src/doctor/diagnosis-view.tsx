/**
 * The classifier's answer, as the CLI's report gives it: the verdict and the main cause first,
 * the hops and timing, the chart, then each cause with its evidence and fixes. The findings are
 * the classifier's own words (English, as the CLI prints them); the frame around them is
 * translated.
 */
import { Fragment } from 'preact';
import { useEffect, useMemo } from 'preact/hooks';
import {
  type Cause,
  type Diagnosis,
  type Fix,
  formatMs,
  HOP_NAMES,
  htmlReport,
  timelineChart,
  type Verdict,
} from '../../../src/doctor/browser.ts';
import { useLocale } from '../i18n/locale.ts';
import type { StringKey } from '../i18n/strings.ts';
import { CopyButton } from '../ui/copy-button.tsx';
import { ProbeChart } from './probe-chart.tsx';

export const VERDICT_KEYS: Readonly<Record<Verdict, StringKey>> = {
  ok: 'verdictOk',
  buffered: 'verdictBuffered',
  delayed: 'verdictDelayed',
  cut: 'verdictCut',
  unreachable: 'verdictUnreachable',
  error: 'verdictError',
};

const SEVERITY_KEYS: Readonly<Record<Cause['severity'], StringKey>> = {
  problem: 'doctorProblem',
  warning: 'doctorNote',
  ok: 'doctorOk',
};

export function DiagnosisView({
  diagnosis,
  measuredAt,
}: {
  diagnosis: Diagnosis;
  measuredAt: Date;
}) {
  const { t } = useLocale();
  const { timeline, verdict } = diagnosis;
  const primary = diagnosis.causes[0];
  const chart = useMemo(() => timelineChart(diagnosis), [diagnosis]);
  return (
    <section class="doctor-result" aria-live="polite">
      <h2 class="doctor-verdict" data-testid="doctor-verdict" data-verdict={verdict}>
        <span class={`badge verdict-${verdict}`}>{t(VERDICT_KEYS[verdict])}</span>
        {primary !== undefined && <span class="verdict-title">{primary.title}</span>}
      </h2>
      <p class="muted small">{t('doctorFindingsNote')}</p>
      <dl class="doctor-facts">
        {/* The path, when the probe reported it, holds the named hops and the silent ones. */}
        {diagnosis.path.seen ? (
          <>
            <dt>{t('doctorPath')}</dt>
            <dd>
              <PathList diagnosis={diagnosis} />
            </dd>
          </>
        ) : (
          <>
            <dt>{t('doctorHops')}</dt>
            <dd>{hopsText(diagnosis) ?? t('doctorNoHops')}</dd>
          </>
        )}
        <dt>{t('doctorTiming')}</dt>
        <dd>
          {t('doctorTimingLine', {
            headers: ms(timeline.phases.headersMs),
            first: ms(timeline.events[0]?.t),
            end: `${formatMs(timeline.end.t)} (${timeline.end.kind === 'done' ? '[DONE]' : timeline.end.kind})`,
            events: `${timeline.events.length}/${timeline.probe?.events ?? timeline.events.length}`,
            reads: timeline.reads.length,
          })}
          {timeline.protocol === undefined
            ? ''
            : ` · ${timeline.protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1'}`}
        </dd>
        {(diagnosis.earlier ?? []).map((earlier, i) => (
          <Fragment key={`earlier${i}`}>
            <dt>{t('doctorMeasured')}</dt>
            <dd data-testid="doctor-measured-twice">
              {t('doctorMeasuredTwice', {
                verdict: t(VERDICT_KEYS[earlier.verdict]),
                title: earlier.title,
              })}
            </dd>
          </Fragment>
        ))}
      </dl>
      {timeline.events.length > 0 && (
        <figure class="doctor-chart">
          <ProbeChart chart={chart} />
          <figcaption class="muted small">{t('doctorChartLegend')}</figcaption>
        </figure>
      )}
      {diagnosis.causes.map((cause) => (
        <CauseView key={cause.id} cause={cause} />
      ))}
      <details class="doctor-headers">
        <summary>{t('doctorHeaders')}</summary>
        <div class="table-wrap">
          <table>
            <tbody>
              {Object.entries(timeline.headers).map(([name, value]) => (
                <tr key={name}>
                  <th>{name}</th>
                  <td>{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
      <ReportLink diagnosis={diagnosis} measuredAt={measuredAt} />
    </section>
  );
}

function CauseView({ cause }: { cause: Cause }) {
  const { t } = useLocale();
  return (
    <section class={`doctor-cause ${cause.severity}`} data-cause={cause.id}>
      <h3>
        <span class="tag">{t(SEVERITY_KEYS[cause.severity])}</span> {cause.title}{' '}
        <code class="muted">{cause.id}</code>
      </h3>
      {cause.evidence.length > 0 && (
        <>
          <h4 class="visually-hidden">{t('doctorEvidence')}</h4>
          <ul class="evidence">
            {cause.evidence.map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
        </>
      )}
      {cause.suspected && (
        <p class="muted">
          {cause.suspect === undefined
            ? t('doctorSuspected', { hops: cause.hops.map(hopName).join(', ') })
            : t('doctorWhichHop', { text: cause.suspect })}
        </p>
      )}
      {cause.fixes.map((fix, i) => (
        <FixView key={i} fix={fix} guess={cause.suspected} />
      ))}
    </section>
  );
}

/** A fix for a hop only suspected reads as a guess: "Fix, if it is nginx". */
function FixView({ fix, guess }: { fix: Fix; guess: boolean }) {
  const { t } = useLocale();
  const named = fix.hop !== 'any' && fix.hop !== 'sluice';
  const who =
    fix.hop === 'any' ? t('doctorAnyHop') : fix.hop === 'sluice' ? 'Sluice' : hopName(fix.hop);
  return (
    <div class="doctor-fix" data-hop={fix.hop}>
      <p class="fix-head">
        {t(guess && named ? 'doctorFixIfItIs' : 'doctorFixFor', { hop: who })}
        {fix.where === undefined ? '' : ` — ${fix.where}`}
      </p>
      {fix.snippet !== undefined && (
        <div class="snippet">
          <pre>
            <code>{fix.snippet}</code>
          </pre>
          <CopyButton text={fix.snippet} />
        </div>
      )}
      <p>{fix.text}</p>
    </div>
  );
}

/** The CLI's `--html` report of this very run, as a file to attach to a ticket. */
function ReportLink({ diagnosis, measuredAt }: { diagnosis: Diagnosis; measuredAt: Date }) {
  const { t } = useLocale();
  const href = useMemo(
    () =>
      URL.createObjectURL(
        new Blob([htmlReport(diagnosis, { generatedAt: measuredAt })], {
          type: 'text/html;charset=utf-8',
        }),
      ),
    [diagnosis, measuredAt],
  );
  useEffect(
    () => () => {
      URL.revokeObjectURL(href);
    },
    [href],
  );
  const stamp = measuredAt.toISOString().replace(/[:.]/g, '-');
  return (
    <p>
      <a class="button-link" href={href} download={`sluice-doctor-${stamp}.html`}>
        {t('doctorDownload')}
      </a>
    </p>
  );
}

/** What the probe saw arrive: how many hops, which named themselves, which did not. */
function PathList({ diagnosis }: { diagnosis: Diagnosis }) {
  const { t } = useLocale();
  const { path } = diagnosis;
  const count =
    path.atLeast === 0
      ? t('doctorPathDirect')
      : path.atLeast === 1
        ? t('doctorPathOne')
        : t('doctorPathMany', { count: path.atLeast });
  return (
    <ul class="doctor-path">
      <li>{count}</li>
      {path.named.map((hop) => (
        <li key={`n${hop.name}`}>{`${hop.name} (${hop.evidence.join('; ')})`}</li>
      ))}
      {path.silent.map((hop) => (
        <li key={`s${hop.where}`}>{`${hop.where} (${hop.evidence})`}</li>
      ))}
      {path.httpVersion !== undefined && (
        <li>{t('doctorPathVersion', { version: path.httpVersion })}</li>
      )}
      {path.notes.map((note) => (
        <li key={note}>{note}</li>
      ))}
      {path.replayed && <li>{t('doctorPathReplayed')}</li>}
    </ul>
  );
}

function hopName(hop: string): string {
  return (HOP_NAMES as Readonly<Record<string, string>>)[hop] ?? hop;
}

/** The named hops and what named them, or undefined when no header names one. */
function hopsText(diagnosis: Diagnosis): string | undefined {
  const named = diagnosis.fingerprints
    .filter((f) => f.signal !== 'hop' || f.hop !== undefined)
    .map((f) => (f.signal === 'hop' ? `${f.header}: ${f.value}` : f.meaning));
  if (named.length === 0) return undefined;
  const names = diagnosis.hops.map(hopName).join(', ');
  return names === '' ? named.join('; ') : `${names} (${named.join('; ')})`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '–' : formatMs(value);
}
