/**
 * The probe the page runs: the CLI's default (30 events, 100 ms apart, 512 bytes of padding), or
 * what the address asks for with the probe's own parameter names, so a link can carry a test:
 * `/doctor?silence_ms=70000` looks for an idle timeout, as `sluice doctor --silence-ms` does.
 * Bounds are the server's to enforce: a value it refuses comes back as an `http-error` verdict
 * with its message, which says what it accepts.
 */
import { DEFAULT_PROBE, type ProbeShape } from '../../../src/doctor/browser.ts';

const PARAMS = {
  events: 'events',
  intervalMs: 'interval_ms',
  pad: 'pad',
  silenceMs: 'silence_ms',
} as const satisfies Record<keyof ProbeShape, string>;

/** Slack on top of the probe's own length for a slow chain (the CLI allows the same). */
const SLACK_MS = 30_000;

export function probeFromQuery(query: string): ProbeShape {
  const params = new URLSearchParams(query);
  const read = (key: keyof ProbeShape): number => {
    const text = params.get(PARAMS[key]);
    const value = Number(text);
    return text === null || text.trim() === '' || !Number.isInteger(value) || value < 0
      ? DEFAULT_PROBE[key]
      : value;
  };
  return {
    events: read('events'),
    intervalMs: read('intervalMs'),
    pad: read('pad'),
    silenceMs: read('silenceMs'),
  };
}

/** How long the page waits before it records the stream as `timeout`. */
export function probeTimeoutMs(probe: ProbeShape): number {
  return probe.silenceMs + probe.events * probe.intervalMs + SLACK_MS;
}
