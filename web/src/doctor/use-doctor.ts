/**
 * One run of the stream test: capture in the browser, then the CLI's own classifier, by the
 * CLI's own rule: a result whose every problem is borderline is measured once more and the
 * second measurement decides (src/doctor/run.ts; a stall of this tab can look like a hop's, but
 * seldom twice the same way). While the probe runs, the latest timeline is shown at most once
 * per animation frame, however many reads arrive in between.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  classify,
  type Diagnosis,
  isBorderline,
  type ProbeShape,
  type Timeline,
} from '../../../src/doctor/browser.ts';
import { captureInBrowser, probeUrl } from './browser-capture.ts';
import { probeTimeoutMs } from './probe-query.ts';

export type DoctorState =
  | { readonly kind: 'idle' }
  | {
      readonly kind: 'running';
      readonly timeline: Timeline | null;
      /** The second measurement of a borderline result. */
      readonly again: boolean;
    }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'done'; readonly diagnosis: Diagnosis; readonly measuredAt: Date };

export interface DoctorRun {
  readonly state: DoctorState;
  readonly start: () => void;
  readonly stop: () => void;
}

export function useDoctor(probe: ProbeShape): DoctorRun {
  const [state, setState] = useState<DoctorState>({ kind: 'idle' });
  const controller = useRef<AbortController | null>(null);
  const frame = useRef<number | null>(null);

  const cancelFrame = (): void => {
    if (frame.current !== null) cancelAnimationFrame(frame.current);
    frame.current = null;
  };
  useEffect(
    () => () => {
      controller.current?.abort();
      cancelFrame();
    },
    [],
  );

  const start = (): void => {
    controller.current?.abort();
    const run = new AbortController();
    controller.current = run;
    const measuredAt = new Date();
    const measure = async (again: boolean): Promise<Diagnosis> => {
      let latest: Timeline | null = null;
      setState({ kind: 'running', timeline: null, again });
      const timeline = await captureInBrowser({
        url: probeUrl(location.origin, probe),
        probe,
        timeoutMs: probeTimeoutMs(probe),
        signal: run.signal,
        onProgress: (progress) => {
          latest = progress;
          frame.current ??= requestAnimationFrame(() => {
            frame.current = null;
            if (!run.signal.aborted) setState({ kind: 'running', timeline: latest, again });
          });
        },
      });
      cancelFrame();
      return classify(timeline);
    };
    const diagnose = async (): Promise<Diagnosis> => {
      const first = await measure(false);
      if (!isBorderline(first) || run.signal.aborted) return first;
      const second = await measure(true);
      const primary = first.causes[0];
      return {
        ...second,
        earlier: [
          {
            verdict: first.verdict,
            cause: primary?.id ?? 'healthy',
            title: primary?.title ?? first.verdict,
          },
        ],
      };
    };
    diagnose()
      .then((diagnosis) => {
        if (controller.current !== run) return;
        setState(
          run.signal.aborted ? { kind: 'stopped' } : { kind: 'done', diagnosis, measuredAt },
        );
      })
      .catch(() => {
        // Only Stop rejects: every other failure is the timeline's end, and has a verdict.
        cancelFrame();
        if (controller.current === run) setState({ kind: 'stopped' });
      });
  };

  const stop = (): void => {
    controller.current?.abort();
  };

  return { state, start, stop };
}
