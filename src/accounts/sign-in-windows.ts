/**
 * Failure times per subject over a sliding window, in memory. A subject is locked while it holds
 * `limit` failures younger than the window; only the newest `limit` times can decide that, so no
 * subject keeps more.
 *
 * With a `capacity`, the table never holds more subjects than that. A newcomer displaces the
 * least recently changed subject that was unlocked when last changed; only when every subject
 * held was locked then does the one locked longest ago go. Without a capacity nothing is ever
 * displaced: for subjects bounded elsewhere (accounts that exist). Failures that left the window
 * are dropped when their subject is next touched.
 */
export interface WindowsOptions {
  readonly limit: number;
  readonly windowMs: number;
  /** Most subjects held at once; default unbounded. */
  readonly capacity?: number;
}

export class FailureWindows {
  // Unlocked and locked subjects apart, each map in order of last change: the one to displace is
  // always at the front of one of them, found in O(1) however full the table is.
  readonly #open = new Map<string, number[]>();
  readonly #locked = new Map<string, number[]>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #capacity: number;

  constructor(options: WindowsOptions) {
    if (!(options.limit >= 1)) throw new RangeError('limit must be at least 1');
    if (!((options.capacity ?? Infinity) >= 1)) throw new RangeError('capacity must be at least 1');
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#capacity = options.capacity ?? Infinity;
  }

  /** Subjects held, locked or not. */
  get size(): number {
    return this.#open.size + this.#locked.size;
  }

  /** Milliseconds until `key` may try again; 0 or less when it may now. */
  retryAfterMs(key: string, now: number): number {
    const times = this.#fresh(key, now);
    if (times === undefined || times.length < this.#limit) return 0;
    // The subject unlocks when the oldest failure that keeps it at the limit leaves the window.
    return (times[times.length - this.#limit] ?? now) + this.#windowMs - now;
  }

  /** Counts one failure of `key` at `now`. */
  add(key: string, now: number): void {
    let times = this.#fresh(key, now);
    if (times === undefined) {
      this.#makeRoom();
      times = [];
    }
    times.push(now);
    times.sort((a, b) => a - b); // a clock stepped back must not leave an old time last
    if (times.length > this.#limit) times.splice(0, times.length - this.#limit);
    this.#file(key, times);
  }

  /** Takes back one failure counted at `at`: the attempt turned out not to be one. */
  remove(key: string, at: number): void {
    const times = this.#open.get(key) ?? this.#locked.get(key);
    const index = times?.lastIndexOf(at) ?? -1;
    if (times === undefined || index < 0) return;
    times.splice(index, 1);
    this.#file(key, times);
  }

  /** Forgets every failure of `key`. */
  clear(key: string): void {
    this.#open.delete(key);
    this.#locked.delete(key);
  }

  /** The failures of `key` inside the window, oldest first; undefined if it has none. */
  #fresh(key: string, now: number): number[] | undefined {
    const held = this.#open.get(key) ?? this.#locked.get(key);
    if (held === undefined) return undefined;
    const cutoff = now - this.#windowMs;
    if ((held[0] ?? now) > cutoff) return held;
    const times = held.filter((t) => t > cutoff);
    this.#file(key, times);
    return times.length === 0 ? undefined : times;
  }

  /** Puts `key` at the back of the map its state belongs in, or drops it when it has no failures. */
  #file(key: string, times: number[]): void {
    this.clear(key);
    if (times.length === 0) return;
    (times.length >= this.#limit ? this.#locked : this.#open).set(key, times);
  }

  #makeRoom(): void {
    while (this.size >= this.#capacity) {
      const displaced = first(this.#open) ?? first(this.#locked);
      if (displaced === undefined) return;
      this.clear(displaced);
    }
  }
}

function first(map: ReadonlyMap<string, unknown>): string | undefined {
  for (const key of map.keys()) return key;
  return undefined;
}
