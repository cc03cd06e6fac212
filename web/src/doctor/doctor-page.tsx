/**
 * `/doctor`: the stream test, from the user's own browser, open without signing in (the probe
 * needs no key). It runs the same probe as `sluice doctor`, records the same timeline and judges
 * it with the same classifier (src/doctor, bundled into this page), then draws the events against
 * their send times and gives the verdict, the evidence and the fix.
 */
import { useMemo } from 'preact/hooks';
import {
  formatMs,
  placeEvents,
  timelineChart,
  type Timeline,
} from '../../../src/doctor/browser.ts';
import { useLocale } from '../i18n/locale.ts';
import { useQuery } from '../route.ts';
import { CopyButton } from '../ui/copy-button.tsx';
import { LanguageSwitch } from '../ui/language-switch.tsx';
import { DiagnosisView } from './diagnosis-view.tsx';
import { ProbeChart } from './probe-chart.tsx';
import { probeFromQuery } from './probe-query.ts';
import { useDoctor } from './use-doctor.ts';
import '../styles/doctor.css';

export function DoctorPage() {
  const { t } = useLocale();
  const query = useQuery();
  const probe = useMemo(() => probeFromQuery(query), [query]);
  const { state, start, stop } = useDoctor(probe);
  const running = state.kind === 'running';
  const command = `sluice doctor ${location.origin}`;

  return (
    <div class="app doctor-app">
      <header class="top-bar">
        <a class="brand" href="/">
          {t('appName')}
        </a>
        <span class="muted">{t('doctor')}</span>
        <span class="spacer" />
        <LanguageSwitch />
      </header>
      <main class="doctor" data-testid="doctor-page">
        <h1>{t('doctorTitle')}</h1>
        <p>{t('doctorIntro', { events: probe.events, interval: formatMs(probe.intervalMs) })}</p>
        <div class="doctor-actions">
          {running ? (
            <button type="button" class="stop" onClick={stop}>
              {t('stop')}
            </button>
          ) : (
            <button type="button" class="primary" onClick={start} data-testid="doctor-run">
              {state.kind === 'done' ? t('doctorRunAgain') : t('doctorRun')}
            </button>
          )}
          {running && (
            <span class="muted" role="status" data-testid="doctor-progress">
              {t(state.again ? 'doctorMeasuringAgain' : 'doctorRunning', {
                received: state.timeline?.events.length ?? 0,
                events: probe.events,
              })}
            </span>
          )}
          {state.kind === 'stopped' && <span class="muted">{t('doctorStopped')}</span>}
        </div>
        {running && state.timeline !== null && <LiveChart timeline={state.timeline} />}
        {state.kind === 'done' && (
          <DiagnosisView diagnosis={state.diagnosis} measuredAt={state.measuredAt} />
        )}
        <footer class="doctor-footer muted small">
          <p>{t('doctorBrowserLimits')}</p>
          <p>{t('doctorCli')}</p>
          <div class="command">
            <code>{command}</code>
            <CopyButton text={command} />
          </div>
        </footer>
      </main>
    </div>
  );
}

/** The events so far, placed against the sends seen so far: the final chart grows into view. */
function LiveChart({ timeline }: { timeline: Timeline }) {
  const chart = useMemo(() => {
    const placed = placeEvents(timeline);
    return timelineChart({
      timeline,
      ...(placed === undefined ? {} : { placed }),
      releases: [],
    });
  }, [timeline]);
  return (
    <figure class="doctor-chart live">
      <ProbeChart chart={chart} />
    </figure>
  );
}
