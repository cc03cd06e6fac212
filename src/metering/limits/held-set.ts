/**
 * What one subject's requests in flight hold of its budget, in process memory
 * (`MemoryCounters`): each request's reserve and their running sum, so an admission reads the
 * sum instead of adding up every request in flight. An entry whose lease was not renewed (its
 * process died: a worker, through the primary) is dropped when its time has passed.
 */
import type { Reserve } from './types.ts';

interface Entry extends Reserve {
  expiresAt: number;
}

export class HeldSet {
  #tokens = 0;
  #cost = 0;
  readonly #entries = new Map<string, Entry>();
  /** No entry expires before this; renewals only push expiries later. */
  #earliest = Number.POSITIVE_INFINITY;

  get size(): number {
    return this.#entries.size;
  }

  add(id: string, reserve: Reserve, expiresAt: number): void {
    this.remove(id);
    this.#entries.set(id, { tokens: reserve.tokens, cost: reserve.cost, expiresAt });
    this.#tokens += reserve.tokens;
    this.#cost += reserve.cost;
    this.#earliest = Math.min(this.#earliest, expiresAt);
  }

  renew(id: string, expiresAt: number): void {
    const entry = this.#entries.get(id);
    if (entry !== undefined) entry.expiresAt = expiresAt;
  }

  remove(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    if (this.#entries.size === 0) {
      // Nothing held: exactly nothing, whatever rounding the sums gathered.
      this.#tokens = 0;
      this.#cost = 0;
      return;
    }
    this.#tokens -= entry.tokens;
    this.#cost -= entry.cost;
  }

  /** What the live entries hold at `now`. */
  total(now: number): Reserve {
    if (this.#earliest <= now) this.#dropExpired(now);
    return { tokens: this.#tokens, cost: this.#cost };
  }

  #dropExpired(now: number): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.remove(id);
      else earliest = Math.min(earliest, entry.expiresAt);
    }
    this.#earliest = earliest;
  }
}
