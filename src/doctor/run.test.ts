/**
 * One doctor run: a borderline result is measured a second time and the second decides; a
 * clear one is not; the probe request carries the token the probe echoes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { probeTimeline, scheduleOf } from '../../test/support/intermediaries/synthetic-timeline.ts';
import type { CaptureRequest } from './capture.ts';
import { DOCTOR_HEADER } from './request-view.ts';
import { diagnose, type DoctorTarget } from './run.ts';
import type { ProbeShape, Timeline } from './timeline.ts';

const PROBE: ProbeShape = { events: 30, intervalMs: 100, pad: 512, silenceMs: 0 };
const TARGET: DoctorTarget = { mode: 'probe', url: new URL('http://127.0.0.1:8080'), probe: PROBE };
const SENDS = scheduleOf(PROBE);

/** Every other event held 130 ms: a problem, but a borderline one. */
const borderline = (): Timeline => {
  const arrivals: number[] = [];
  SENDS.forEach((s, i) =>
    arrivals.push(Math.max(arrivals.at(-1) ?? 0, s + 3 + (i % 2 === 0 ? 130 : 0))),
  );
  return probeTimeline({ probe: PROBE, arrivals });
};
const healthy = (): Timeline => probeTimeline({ probe: PROBE, arrivals: SENDS.map((s) => s + 3) });
const buffered = (): Timeline => probeTimeline({ probe: PROBE, arrivals: SENDS.map(() => 2905) });

/** A capture that answers with the given timelines in turn and keeps the requests. */
function scripted(...timelines: (() => Timeline)[]) {
  const requests: CaptureRequest[] = [];
  const capture = (request: CaptureRequest): Promise<Timeline> => {
    requests.push(request);
    const next = timelines[requests.length - 1];
    if (next === undefined) throw new Error('measured more often than scripted');
    return Promise.resolve(next());
  };
  return { capture, requests };
}

describe('diagnose', () => {
  it('measures a borderline result again; the second measurement decides', async () => {
    const { capture, requests } = scripted(borderline, healthy);
    const d = await diagnose(TARGET, 10_000, capture);
    assert.equal(requests.length, 2);
    assert.equal(d.verdict, 'ok');
    assert.deepEqual(
      d.earlier?.map((e) => e.verdict),
      ['delayed'],
    );
  });

  it('a borderline problem seen twice stays a problem', async () => {
    const { capture } = scripted(borderline, borderline);
    assert.equal((await diagnose(TARGET, 10_000, capture)).verdict, 'delayed');
  });

  it('a clear result is measured once', async () => {
    for (const timeline of [healthy, buffered]) {
      const { capture, requests } = scripted(timeline);
      await diagnose(TARGET, 10_000, capture);
      assert.equal(requests.length, 1);
    }
  });

  it('each probe request carries a fresh token in the doctor header', async () => {
    const { capture, requests } = scripted(borderline, borderline);
    await diagnose(TARGET, 10_000, capture);
    const tokens = requests.map((r) => r.headers[DOCTOR_HEADER]);
    assert.ok(tokens.every((t) => t !== undefined && /^[0-9a-f]{16}$/.test(t)));
    assert.notEqual(tokens[0], tokens[1]);
  });
});
