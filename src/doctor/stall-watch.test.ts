/**
 * The doctor's own stalls are not a hop's holds (issue 15: with two suites on two cores the
 * doctor called a healthy HAProxy `delayed` for a 468 ms stall of its own process). The ticker
 * tells a read that followed a stall; the events it carried count as held only up to the stall.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { probeTimeline, scheduleOf } from '../../test/support/intermediaries/synthetic-timeline.ts';
import { classify } from './classify.ts';
import { placeEvents } from './schedule.ts';
import { TICK_MS, watchStalls } from './stall-watch.ts';
import type { ProbeShape, Timeline } from './timeline.ts';

describe('watchStalls', () => {
  it('a read after the ticker stood still is blind from the tick before last; one on time is not', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    let clock = 0;
    const watch = watchStalls(() => clock);
    for (let i = 0; i < 10; i++) {
      clock += TICK_MS;
      t.mock.timers.tick(TICK_MS);
    }
    assert.equal(watch.blindFrom(clock + 1), undefined);
    // The process stood still for 300 ms: no tick ran. A read in that turn may carry data
    // that came any time after the loop last turned.
    clock += 300;
    assert.equal(watch.blindFrom(clock), 10 * TICK_MS - TICK_MS);
    // The loop turns again: its ticker runs first, the read follows in the same turn.
    t.mock.timers.tick(TICK_MS);
    assert.equal(watch.blindFrom(clock + 1), 10 * TICK_MS);
    // Two turns on, it has been listening again.
    for (let i = 0; i < 2; i++) {
      clock += TICK_MS;
      t.mock.timers.tick(TICK_MS);
    }
    assert.equal(watch.blindFrom(clock + 1), undefined);
    watch.stop();
  });

  it('a tab hidden during the gap excuses nothing: its timers were throttled, not stalled', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    let clock = 0;
    let shownSince = -Infinity;
    const watch = watchStalls(
      () => clock,
      () => shownSince,
    );
    for (let i = 0; i < 10; i++) {
      clock += TICK_MS;
      t.mock.timers.tick(TICK_MS);
    }
    // Hidden after 50 ms, shown again at 1000 ms: no tick ran in between, reads did.
    clock = 1000;
    shownSince = clock;
    assert.equal(watch.blindFrom(clock + 1), undefined, 'the ticks before it were not awake');
    // Shown and listening since: a stall now is the page's own again.
    for (let i = 0; i < 3; i++) {
      clock += TICK_MS;
      t.mock.timers.tick(TICK_MS);
    }
    clock += 300;
    assert.equal(watch.blindFrom(clock), 1000 + 2 * TICK_MS);
    watch.stop();
  });

  it('stop() ends the ticker: a stopped capture keeps nothing running', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    let clock = 0;
    let reads = 0;
    const watch = watchStalls(() => {
      reads++;
      return clock;
    });
    watch.stop();
    const before = reads;
    clock += 100;
    t.mock.timers.tick(100);
    assert.equal(reads, before);
  });
});

const PROBE: ProbeShape = { events: 30, intervalMs: 50, pad: 512, silenceMs: 0 };
const SENDS = scheduleOf(PROBE);
const LATENCY = 3;
/** The doctor stood still from 503 to 1193 ms: events 10–23 were read together after it. */
const STALL = { from: 10 * PROBE.intervalMs + LATENCY, to: 10 * PROBE.intervalMs + LATENCY + 690 };
const arrivals = SENDS.map((s) => {
  const due = s + LATENCY;
  return due >= STALL.from && due < STALL.to ? STALL.to : due;
});

/** The same arrivals, with the read after the stall marked as the ticker marks it (or not). */
function withBlindRead(blindFromMs: number | undefined): Timeline {
  const timeline = probeTimeline({ probe: PROBE, arrivals });
  const reads = timeline.reads.map((r) =>
    r.t === STALL.to && blindFromMs !== undefined ? { ...r, blindFromMs } : r,
  );
  return { ...timeline, reads };
}

describe('events read after a stall of the doctor', () => {
  it('are not held by a hop: the stream is healthy, and the evidence says the doctor waited', () => {
    // The control: unmarked, the same arrivals are a hop holding events up to 690 ms.
    assert.equal(classify(withBlindRead(undefined)).verdict, 'delayed');

    const d = classify(withBlindRead(STALL.from));
    assert.equal(d.verdict, 'ok');
    const stalled = (d.placed ?? []).filter((e) => e.arrivalMs === STALL.to);
    assert.equal(stalled.length, 14);
    for (const e of stalled) {
      assert.equal(e.holdMs, 0, `event ${e.seq} was due during the stall`);
      assert.equal(e.ownStallMs, STALL.to - (e.sentMs + LATENCY));
    }
    const healthy = d.causes[0];
    assert.equal(healthy?.id, 'healthy');
    assert.match(
      healthy.evidence.join('\n'),
      /14 event\(s\) waited in the doctor itself, up to 690 ms/,
    );
    assert.equal(healthy.measures['own_stall_ms'], 690);
  });

  it('keep what a hop held before the stall began', () => {
    // The doctor was listening until 1103 ms: events due from 503 ms on were not there, so a hop
    // held them at least until then, whatever the doctor did after.
    const listenedUntil = STALL.from + 600;
    const placed = placeEvents(withBlindRead(listenedUntil)) ?? [];
    const first = placed.find((e) => e.seq === 10);
    assert.equal(first?.holdMs, listenedUntil - STALL.from);
    assert.equal(first.ownStallMs, STALL.to - listenedUntil);
    const late = placed.find((e) => e.seq === 23);
    assert.equal(late?.holdMs, 0, 'due after the doctor stopped listening');
    assert.equal(classify(withBlindRead(listenedUntil)).verdict, 'delayed');
  });
});
