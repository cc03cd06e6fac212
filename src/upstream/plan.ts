/**
 * Which upstream and key a request tries, and which next when one fails (before the first byte
 * only). Upstreams by priority, lower first; within a priority, the least loaded for its weight
 * (requests in flight ÷ weight), and among those equally loaded smooth weighted round-robin (the
 * nginx algorithm) — so with nothing in flight each upstream gets its weight's share in every
 * window, deterministically. Within an upstream, its keys in turn. A broken upstream or key
 * (`health.ts`) is skipped at no round trip; when everything is broken, the one that recovers
 * soonest is tried anyway rather than refusing outright.
 *
 * Measured (`node bench/routing.ts`, a seeded model of LLM traffic through this chooser): on
 * two cloud APIs, least-in-flight and round-robin are alike and keep the operator's weights
 * (3:1 stays 75 % / 25 %); on two self-hosted servers of unequal speed at 75 % of their
 * capacity, equal weights under round-robin overload the slower one (mean first token 112 s,
 * queues without end) while least-in-flight moves a third of its load to the faster one (0.22
 * s, p99 0.71 s). Fastest-first-token herds: 100 % onto one cloud API, 92 % onto one server (83 s).
 */
import type { Health, Outcome } from './health.ts';
import type { Upstream, UpstreamKey } from './upstreams.ts';

export interface Attempt {
  readonly upstream: Upstream;
  readonly key: UpstreamKey;
}

/** What failed, for choosing the next: a key's own refusal, or the upstream as a whole. */
export type Failure = 'key' | 'upstream';

export class AttemptPlan {
  readonly #order: Upstream[];
  #upstream = 0;
  #keysTried = new Set<UpstreamKey>();
  /** Something was tried (then a broken one is not forced in after it). */
  #tried = false;

  constructor(candidates: readonly Upstream[]) {
    this.#order = order(candidates);
  }

  /**
   * The next try: after a key's own failure (429, 401/403), the next key of the same upstream;
   * after the upstream's (connect, timeout, 5xx), the next upstream. Undefined: none left.
   */
  next(after?: Failure): Attempt | undefined {
    if (after === 'upstream') this.#advance();
    while (this.#upstream < this.#order.length) {
      const upstream = this.#order[this.#upstream];
      const first = this.#keysTried.size === 0;
      if (upstream !== undefined && (!first || upstream.health.state !== 'open')) {
        const key = nextKey(upstream, this.#keysTried);
        if (key !== undefined) {
          // Admitted only now that a key goes too: a half-open probe must be a real request.
          if (first) upstream.health.admit();
          key.health.admit();
          this.#keysTried.add(key);
          this.#tried = true;
          return { upstream, key };
        }
      }
      this.#advance();
    }
    return this.#tried ? undefined : this.#force();
  }

  #advance(): void {
    this.#upstream++;
    this.#keysTried = new Set();
  }

  /** Everything was skipped as broken: the upstream and key that recover soonest try anyway. */
  #force(): Attempt | undefined {
    this.#tried = true;
    let best: Attempt | undefined;
    let bestAt = Infinity;
    for (const upstream of this.#order) {
      for (const key of upstream.keys) {
        const at = Math.max(upstream.health.openUntil, key.health.openUntil);
        if (at < bestAt) {
          bestAt = at;
          best = { upstream, key };
        }
      }
    }
    if (best === undefined) return undefined;
    best.upstream.health.force();
    best.key.health.force();
    return best;
  }
}

/** Priorities ascending; within one, the round-robin's pick first, then by weight. */
function order(candidates: readonly Upstream[]): Upstream[] {
  const byPriority = new Map<number, Upstream[]>();
  for (const u of candidates)
    byPriority.set(u.priority, [...(byPriority.get(u.priority) ?? []), u]);
  return [...byPriority.keys()]
    .sort((a, b) => a - b)
    .flatMap((priority) => weighted(byPriority.get(priority) ?? []));
}

/**
 * The least loaded of the healthy ones for its weight; among those equally loaded, smooth
 * weighted round-robin: each gains its weight, the highest is picked and pays back the total.
 * The rest follow by weight, as fallbacks for this request.
 */
function weighted(group: readonly Upstream[]): Upstream[] {
  if (group.length < 2) return [...group];
  const healthy = group.filter((u) => u.health.state !== 'open');
  let least = Infinity;
  for (const u of healthy) least = Math.min(least, loadOf(u));
  let picked: Upstream | undefined;
  let total = 0;
  for (const u of healthy) {
    if (loadOf(u) > least) continue;
    u.turn.current += u.weight;
    total += u.weight;
    if (picked === undefined || u.turn.current > picked.turn.current) picked = u;
  }
  if (picked !== undefined) picked.turn.current -= total;
  const rest = group.filter((u) => u !== picked).sort((a, b) => b.weight - a.weight);
  return picked === undefined ? rest : [picked, ...rest];
}

function loadOf(upstream: Upstream): number {
  return upstream.load.inFlight / upstream.weight;
}

/** The next key of `upstream` in its rotation that is healthy and not tried yet. */
function nextKey(upstream: Upstream, tried: ReadonlySet<UpstreamKey>): UpstreamKey | undefined {
  const { keys } = upstream;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[(upstream.turn.key + i) % keys.length];
    if (key === undefined || tried.has(key) || key.health.state === 'open') continue;
    if (tried.size === 0) upstream.turn.key = (upstream.turn.key + i + 1) % keys.length;
    return key;
  }
  return undefined;
}

/** What a try's result means for the health of the upstream and of the key it used. */
export function healthOutcomes(
  status: number | 'unreachable' | 'timeout' | 'broken' | 'refused',
  retryAfterMs: number | undefined,
): { upstream: Outcome | undefined; key: Outcome | undefined; failure: Failure | undefined } {
  // The client's body failed on the way: nothing learnt of the upstream or its key.
  if (status === 'refused') return { upstream: undefined, key: undefined, failure: undefined };
  if (typeof status === 'string') {
    return { upstream: { kind: 'failed' }, key: undefined, failure: 'upstream' };
  }
  if (status === 429) {
    return { upstream: undefined, key: { kind: 'limited', retryAfterMs }, failure: 'key' };
  }
  if (status === 401 || status === 403) {
    return { upstream: undefined, key: { kind: 'failed' }, failure: 'key' };
  }
  if (status >= 500) return { upstream: { kind: 'failed' }, key: undefined, failure: 'upstream' };
  // A success, or the client's own mistake (4xx): both say the upstream and the key work.
  return { upstream: { kind: 'ok' }, key: { kind: 'ok' }, failure: undefined };
}

export type { Health };
