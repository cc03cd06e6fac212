/**
 * Each probe event placed against its own send schedule. No clock sync is needed: the server's
 * clock measures send times from its stream start, ours measures arrivals from our request start,
 * and the offset between the two (one-way latency plus setup) is the smallest lag of any event.
 * An event's "hold" is how much later than that it arrived: the time some hop kept it — except
 * what waited in the doctor itself: an event read right after one of the doctor's own stalls may
 * have been there since the stall began, and only its lateness before that is a hop's.
 */
import type { EventRecord, Timeline } from './timeline.ts';
import { smallest } from './extremes.ts';

export interface PlacedEvent {
  readonly seq: number;
  readonly sentMs: number;
  readonly arrivalMs: number;
  /** arrival − send: the two clocks' offset plus any holding. */
  readonly lagMs: number;
  /** lag − the smallest lag: how long a hop held this event beyond the fastest one. */
  readonly holdMs: number;
  /** Of its lateness, what a stall of the doctor's own process may explain (not in holdMs). */
  readonly ownStallMs: number;
  /** When the next event was sent, relative to this one (the probe's interval, or the silence). */
  readonly nextGapMs: number;
  readonly read: number;
  readonly bytes: number;
}

/**
 * Below this a hold is scheduler noise, not a hop: a busy 2-core machine running the doctor,
 * Sluice and proxies side by side stalls an event loop by 10–20 ms now and then.
 */
export const NOISE_MS = 15;

/**
 * A hold a reader notices (issue 15: a healthy nginx was called "delayed" for 29 ms holds, one
 * run for a first event 53 ms late). Holds of a pattern are recognised above NOISE_MS, but no
 * hold shorter than this makes a problem, whatever the probe's interval.
 */
export const NOTICEABLE_MS = 100;

/** Problems whose holds stay under this are borderline: the doctor measures again first. */
export const BORDERLINE_MS = 2 * NOTICEABLE_MS;

/** The probe events of a timeline, placed; undefined when the events carry no send times. */
export function placeEvents(timeline: Timeline): PlacedEvent[] | undefined {
  const timed = timeline.events.filter(
    (e): e is EventRecord & { sentMs: number } => e.sentMs !== undefined,
  );
  if (timed.length === 0 || timed.length !== timeline.events.length) return undefined;
  const lags = timed.map((e) => e.t - e.sentMs);
  const base = smallest(lags);
  const interval = timeline.probe?.intervalMs ?? 0;
  const bySeq = [...timed].sort((a, b) => a.seq - b.seq);
  const nextSent = new Map<number, number>();
  for (let i = 0; i + 1 < bySeq.length; i++) {
    const here = bySeq[i];
    const next = bySeq[i + 1];
    if (here !== undefined && next !== undefined) nextSent.set(here.seq, next.sentMs);
  }
  return timed.map((e, i) => {
    const lag = lags[i] ?? 0;
    const next = nextSent.get(e.seq);
    const due = e.sentMs + base;
    const since = timeline.reads[e.read]?.blindFromMs;
    // Not read before the stall began: held until then at least; after that, unknown.
    const heldUntil = since === undefined ? e.t : Math.min(e.t, Math.max(due, since));
    return {
      seq: e.seq,
      sentMs: e.sentMs,
      arrivalMs: e.t,
      lagMs: lag,
      holdMs: heldUntil - due,
      ownStallMs: e.t - heldUntil,
      nextGapMs: next === undefined ? interval : next - e.sentMs,
      read: e.read,
      bytes: e.bytes,
    };
  });
}

/** Held: kept past half the time to the next send, and past scheduler noise. */
export function isHeld(event: PlacedEvent): boolean {
  return event.holdMs > Math.max(0.5 * event.nextGapMs, NOISE_MS);
}

/** Held long enough for a reader to notice. */
export function isNoticeable(event: PlacedEvent): boolean {
  return event.holdMs >= NOTICEABLE_MS;
}

/** The longest hold of any event. */
export function maxHoldOf(placed: readonly PlacedEvent[]): number {
  return placed.reduce((max, e) => Math.max(max, e.holdMs), 0);
}
