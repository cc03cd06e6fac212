/**
 * Counters for a single instance, in process memory. Checking and taking happen in one
 * synchronous stretch, so no other admission can interleave: that is what makes them atomic
 * here. Only reading a budget from the usage store awaits, and that happens before, with a
 * fresh check after it.
 */
import type { Spent } from './budget-loader.ts';
import { BudgetLoader } from './budget-loader.ts';
import type { CellRate } from './cell-rate.ts';
import { addCells, checkRequest, checkTokens, lifetimeMs, settle } from './cell-rate.ts';
import { HeldSet } from './held-set.ts';
import { EMPTY_LEASE, endOnce, repeat, type Used } from './lease.ts';
import { resolveOptions, type CountersOptions, type ResolvedOptions } from './options.ts';
import { counterLifetimeMs } from './periods.ts';
import { money, planAdmission, toRefusal, wholeTokens, type SubjectPlan } from './plan.ts';
import { NO_RESERVE, type Admission, type Counters, type Reserve, type Subject } from './types.ts';

/** Entries carry an expiry on the clock, as Redis keys carry a TTL, so both forget alike. */
interface Expiring<T> {
  value: T;
  expiresAt: number;
}

interface LiveLease {
  readonly requestId: string;
  readonly plans: readonly SubjectPlan[];
}

type Attempt = Admission | { readonly ok: 'missing'; readonly plans: readonly SubjectPlan[] };

/** Reading budgets can race a counter's expiry; a few rounds settle it or something is wrong. */
const MAX_ATTEMPTS = 3;

export class MemoryCounters implements Counters {
  readonly #options: ResolvedOptions;
  readonly #loader: BudgetLoader;
  readonly #rates = new Map<string, Expiring<CellRate>>();
  /** Per subject: request id → lease expiry. */
  readonly #streams = new Map<string, Map<string, number>>();
  readonly #spent = new Map<string, Expiring<Spent>>();
  /** Per subject: what its requests in flight hold of its budget. */
  readonly #held = new Map<string, HeldSet>();
  readonly #live = new Set<LiveLease>();
  readonly #stopRenewal: () => void;

  constructor(options: CountersOptions) {
    this.#options = resolveOptions(options);
    this.#loader = new BudgetLoader(this.#options.budgetSource);
    this.#stopRenewal = repeat(this.#options.leaseMs / 3, () => this.renewLeases());
  }

  async admit(
    subjects: readonly Subject[],
    requestId: string,
    now: number,
    reserve: Reserve = NO_RESERVE,
  ): Promise<Admission> {
    const plans = planAdmission(subjects, now);
    if (plans.length === 0) return { ok: true, lease: EMPTY_LEASE };
    const held = { tokens: wholeTokens(reserve.tokens), cost: money(reserve.cost) };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const outcome = this.#tryAdmit(plans, requestId, now, held);
      if (outcome.ok !== 'missing') return outcome;
      await Promise.all(outcome.plans.map((plan) => this.#loadBudget(plan)));
    }
    throw new Error(`Budget counters for ${requestId} vanished while being initialised.`);
  }

  /**
   * Pushes the expiry of every live lease's stream slots to `leaseMs` from now. The timer calls
   * it every leaseMs / 3; public so tests can call it at a time of their choosing.
   */
  renewLeases(): Promise<void> {
    const now = this.#options.clock();
    for (const live of this.#live) {
      for (const plan of live.plans) {
        const leases = plan.maxStreams === null ? undefined : this.#streams.get(plan.keys.streams);
        if (leases?.has(live.requestId) === true) {
          leases.set(live.requestId, now + this.#options.leaseMs);
        }
        this.#held.get(plan.keys.held)?.renew(live.requestId, now + this.#options.leaseMs);
      }
    }
    this.#forgetExpired(now);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#stopRenewal();
    return Promise.resolve();
  }

  /** Checks everything, then takes everything; no await in between. */
  #tryAdmit(
    plans: readonly SubjectPlan[],
    requestId: string,
    now: number,
    reserve: Reserve,
  ): Attempt {
    const settledRpm = new Map<SubjectPlan, CellRate>();
    const missing: SubjectPlan[] = [];
    for (const plan of plans) {
      const { keys } = plan;
      if (plan.rpm !== null) {
        const state = settle(this.#liveValue(this.#rates, keys.rpm), plan.rpm, now);
        const verdict = checkRequest(state, now);
        if (!verdict.ok) return refuse(plan, 'rpm', verdict.retryAfterSeconds, now);
        settledRpm.set(plan, state);
      }
      if (plan.tpm !== null) {
        const state = settle(this.#liveValue(this.#rates, keys.tpm), plan.tpm, now);
        const verdict = checkTokens(state, now);
        if (!verdict.ok) return refuse(plan, 'tpm', verdict.retryAfterSeconds, now);
      }
      if (plan.maxStreams !== null) {
        const leases = this.#streams.get(keys.streams);
        if (leases !== undefined) {
          for (const [id, expiry] of leases) if (expiry <= now) leases.delete(id);
        }
        if ((leases?.size ?? 0) >= plan.maxStreams) return refuse(plan, 'streams', 0, now);
      }
      if (plan.budget !== null) {
        const spent = this.#liveValue(this.#spent, keys.budget);
        if (spent === undefined) {
          missing.push(plan);
        } else if (plan.budget.tokens !== null && spent.tokens >= plan.budget.tokens) {
          return refuse(plan, 'tokens', 0, now);
        } else if (plan.budget.cost !== null && spent.cost >= plan.budget.cost) {
          return refuse(plan, 'cost', 0, now);
        } else {
          const held = this.#held.get(plan.keys.held)?.total(now) ?? NO_RESERVE;
          if (plan.budget.tokens !== null && spent.tokens + held.tokens >= plan.budget.tokens) {
            return refuse(plan, 'tokens-held', 0, now);
          }
          if (plan.budget.cost !== null && spent.cost + held.cost >= plan.budget.cost) {
            return refuse(plan, 'cost-held', 0, now);
          }
        }
      }
    }
    if (missing.length > 0) return { ok: 'missing', plans: missing };

    const clock = this.#options.clock();
    for (const plan of plans) {
      const state = settledRpm.get(plan);
      if (state !== undefined) {
        const next = addCells(state, 1);
        this.#rates.set(plan.keys.rpm, { value: next, expiresAt: clock + lifetimeMs(next, now) });
      }
      if (plan.maxStreams !== null) {
        const leases = this.#streams.get(plan.keys.streams) ?? new Map<string, number>();
        leases.set(requestId, now + this.#options.leaseMs);
        this.#streams.set(plan.keys.streams, leases);
      }
      if (plan.budget !== null) {
        const held = this.#held.get(plan.keys.held) ?? new HeldSet();
        held.add(requestId, reserve, now + this.#options.leaseMs);
        this.#held.set(plan.keys.held, held);
      }
    }
    const live: LiveLease = { requestId, plans };
    this.#live.add(live);
    const lease = endOnce(
      (used) => {
        this.#end(live, used);
      },
      (err) => {
        this.#options.log('limit counters: lease end failed', { requestId, err });
      },
    );
    return { ok: true, lease };
  }

  #end(live: LiveLease, used: Used): void {
    this.#live.delete(live);
    const now = this.#options.clock();
    const tokens = wholeTokens(used.tokens);
    for (const plan of live.plans) {
      const { keys } = plan;
      if (plan.maxStreams !== null) {
        const leases = this.#streams.get(keys.streams);
        leases?.delete(live.requestId);
        if (leases?.size === 0) this.#streams.delete(keys.streams);
      }
      const held = this.#held.get(keys.held);
      held?.remove(live.requestId);
      if (held?.size === 0) this.#held.delete(keys.held);
      if (plan.tpm !== null && plan.tpm >= 1 && tokens > 0) {
        const next = addCells(
          settle(this.#liveValue(this.#rates, keys.tpm), plan.tpm, now),
          tokens,
        );
        this.#rates.set(keys.tpm, { value: next, expiresAt: now + lifetimeMs(next, now) });
      }
      if (plan.budget !== null) {
        // Only a counter that exists is charged: an absent one is read afresh from the usage
        // store, which will hold this request's record.
        const spent = this.#liveValue(this.#spent, keys.budget);
        if (spent !== undefined) {
          this.#spent.set(keys.budget, {
            value: { tokens: spent.tokens + tokens, cost: spent.cost + (used.cost ?? 0) },
            expiresAt: now + counterLifetimeMs(plan.budget.end, now),
          });
        }
      }
    }
  }

  async #loadBudget(plan: SubjectPlan): Promise<void> {
    const budget = plan.budget;
    if (budget === null) return;
    const spent = await this.#loader.load(plan.keys.budget, plan.subject, budget.start);
    // Another admission may have set it while we read: theirs stands, as with Redis SET NX.
    if (this.#liveValue(this.#spent, plan.keys.budget) !== undefined) return;
    const now = this.#options.clock();
    this.#spent.set(plan.keys.budget, {
      value: spent,
      expiresAt: now + counterLifetimeMs(budget.end, now),
    });
  }

  #liveValue<T>(map: Map<string, Expiring<T>>, key: string): T | undefined {
    const entry = map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#options.clock()) {
      map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Subjects that never come back must not hold memory forever. */
  #forgetExpired(now: number): void {
    for (const map of [this.#rates, this.#spent] as const) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
    for (const [key, leases] of this.#streams) {
      for (const [id, expiry] of leases) if (expiry <= now) leases.delete(id);
      if (leases.size === 0) this.#streams.delete(key);
    }
    for (const [key, held] of this.#held) {
      held.total(now);
      if (held.size === 0) this.#held.delete(key);
    }
  }
}

function refuse(
  plan: SubjectPlan,
  limit: Parameters<typeof toRefusal>[1],
  retryAfterSeconds: number,
  now: number,
): Admission {
  return { ok: false, refusal: toRefusal(plan, limit, retryAfterSeconds, now) };
}
