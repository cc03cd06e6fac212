/**
 * The live stream-health line under an answer: time to first token, tokens per second, and —
 * when the meter saw tokens held and released together — a warning that names the likely cause
 * and the command that finds the hop.
 */
import { useEffect, useState } from 'preact/hooks';
import { useLocale } from '../i18n/locale.ts';
import { CopyButton } from '../ui/copy-button.tsx';
import type { BurstFinding, HealthReadout } from './meter.ts';

export function HealthLine({ health, streaming }: { health: HealthReadout; streaming: boolean }) {
  const { t } = useLocale();
  const waiting = streaming && health.ttftMs === null;
  return (
    <div class="health" data-testid="health" title={t('healthApprox')}>
      <span class="health-title">{t('healthTitle')}</span>
      {waiting ? (
        <Waiting />
      ) : (
        <>
          <span class="metric" data-testid="ttft">
            {t('ttft')} {health.ttftMs === null ? '—' : formatMs(health.ttftMs)}
          </span>
          <span class="metric" data-testid="tps">
            ≈ {health.tokensPerSecond === null ? '—' : health.tokensPerSecond.toFixed(1)}{' '}
            {t('tokensPerSecond')}
          </span>
          <span class="metric">
            {health.deltas} {t('tokens')}
          </span>
        </>
      )}
      {health.finding !== null && <BurstWarning finding={health.finding} />}
    </div>
  );
}

/** Counts the seconds while nothing has arrived: a long wait is itself worth seeing. */
function Waiting() {
  const { t } = useLocale();
  const [since] = useState(() => performance.now());
  const [now, setNow] = useState(since);
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(performance.now());
    }, 100);
    return () => {
      clearInterval(timer);
    };
  }, []);
  return (
    <span class="metric waiting" data-testid="waiting">
      {t('waitingFirstToken', { seconds: ((now - since) / 1000).toFixed(1) })}
    </span>
  );
}

function BurstWarning({ finding }: { finding: BurstFinding }) {
  const { t } = useLocale();
  const command = `sluice doctor ${location.origin}`;
  const text =
    finding.kind === 'buffered'
      ? t('bufferedWarning', { deltas: finding.deltas })
      : t('burstWarning', { deltas: finding.deltas, seconds: (finding.gapMs / 1000).toFixed(1) });
  return (
    <div class="burst-warning" role="alert" data-testid="burst-warning">
      <strong>⚠ {text}</strong>
      <details>
        <summary>{t('burstDetails')}</summary>
        <p>{t('burstExplain')}</p>
        <div class="command">
          <code>{command}</code>
          <CopyButton text={command} />
        </div>
        <p>
          <a href="/doctor" target="_blank" rel="noopener">
            {t('doctorOpen')}
          </a>
        </p>
      </details>
    </div>
  );
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
