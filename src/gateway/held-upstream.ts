/**
 * A hold behind Sluice, seen in production without the doctor: a streamed answer whose events
 * came from the upstream in a few large pieces was held on the way — whole, or in buffer-sized
 * bursts (nginx's 4 KiB) — by a relay at the upstream URL, a proxy in front of it, or the egress
 * proxy. A model writes each event as it is made, and Sluice reads them about one a read, so
 * eight or more a read over a whole answer means something gathered them; a short answer may
 * come in one read by itself (a reasoning model's brief reply after minutes of thought), hence
 * the floor on events. Only a process stalled for most of an answer gathers as much itself. The
 * log says so once per upstream per interval, with how to find the hop;
 * `sluice_upstream_streams_held_total` counts.
 */
import type { Logger } from '../log/index.ts';

/** Events below which a few reads may be a quick short answer, not a held one. */
export const HELD_EVENTS = 32;
/** Events per upstream read, on average over the answer, from which it was gathered. */
export const HELD_EVENTS_PER_READ = 8;

/** One warning per upstream per this long: the counter has the rest. */
const WARN_EVERY_MS = 10 * 60_000;

/** Whether an event stream of `events` events that came in `reads` upstream reads was held. */
export function arrivedGathered(events: number, reads: number): boolean {
  return events >= HELD_EVENTS && events >= HELD_EVENTS_PER_READ * reads;
}

/** Warns of held answers, at most once per upstream per interval. */
export class HeldUpstreamWarnings {
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #lastWarned = new Map<string, number>();

  constructor(log: Logger, now: () => number = Date.now) {
    this.#log = log;
    this.#now = now;
  }

  note(upstream: string, events: number, reads: number, requestId: string): void {
    const now = this.#now();
    const last = this.#lastWarned.get(upstream);
    if (last !== undefined && now - last < WARN_EVERY_MS) return;
    // Upstream names come from the configuration: the map stays small.
    this.#lastWarned.set(upstream, now);
    this.#log.warn('upstream answer arrived gathered', {
      upstream,
      request_id: requestId,
      events,
      reads,
      why: 'a streamed answer came from the upstream in a few large pieces: something between Sluice and it holds streams (a relay or proxy in front of it, or the egress proxy)',
      find: 'sluice doctor <this Sluice>/v1 --key <an admin key> --model <a model of this upstream>',
    });
  }
}
