/**
 * Counters in Redis, so several Sluice instances enforce one global limit. Every admission is
 * one Lua script over all its subjects (`lua/admit.lua`), which Redis runs without interleaving,
 * so limits hold exactly however many instances race. Times are the callers' epoch ms, stored as
 * whole numbers; every key has a TTL, so nothing outlives its use.
 */
import { parseAdmitReply } from './admit-reply.ts';
import { BudgetLoader, type Spent } from './budget-loader.ts';
import { CountersUnavailableError } from '../../errors/index.ts';
import { RedisConnection } from '../../redis/index.ts';
import { EMPTY_LEASE, endOnce, repeat, type Used } from './lease.ts';
import { resolveOptions, type CountersOptions, type ResolvedOptions } from './options.ts';
import { counterLifetimeMs } from './periods.ts';
import { money, toRefusal, planAdmission, wholeTokens, type SubjectPlan } from './plan.ts';
import { ADMIT_SCRIPT, END_SCRIPT, RENEW_SCRIPT, runScript, type Script } from './redis-scripts.ts';
import {
  NO_RESERVE,
  type Admission,
  type Counters,
  type Lease,
  type Reserve,
  type Subject,
} from './types.ts';

export interface RedisCountersOptions extends CountersOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  readonly url: string;
  /** Put before every key, so several deployments can share one Redis. Default `sluice:`. */
  readonly keyPrefix?: string;
}

export const DEFAULT_KEY_PREFIX = 'sluice:';

/** The lease set outlives its newest lease by this much, so its members expire by score first. */
const LEASE_SET_MARGIN_MS = 1_000;
/** Renewals go in batches so one script never holds Redis for long. */
const RENEW_BATCH = 500;
/** Reading budgets can race a counter's expiry; a few rounds settle it or something is wrong. */
const MAX_ATTEMPTS = 3;

interface LiveLease {
  readonly requestId: string;
  readonly plans: readonly SubjectPlan[];
  /** Its entry in the held sets of the subjects with a budget (`heldMember`). */
  readonly held: string;
}

export class RedisCounters implements Counters {
  readonly #options: ResolvedOptions;
  readonly #prefix: string;
  readonly #where: string;
  readonly #redis: RedisConnection;
  readonly #loader: BudgetLoader;
  readonly #live = new Set<LiveLease>();
  readonly #stopRenewal: () => void;

  constructor(options: RedisCountersOptions) {
    this.#options = resolveOptions(options);
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#redis = new RedisConnection({
      url: options.url,
      purpose: 'limit counters',
      log: this.#options.log,
    });
    this.#where = this.#redis.where;
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
    await this.#redis.ready();
    const keys = plans.flatMap(({ keys: k }) => [
      k.rpm,
      k.tpm,
      k.streams,
      k.budget,
      k.held,
      k.heldSum,
    ]);
    const spent = new Map<number, Spent>();
    const live: LiveLease = { requestId, plans, held: heldMember(requestId, reserve) };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const args = admitArgs(live, spent, now, this.#options.leaseMs);
      const raw = await this.#run(ADMIT_SCRIPT, keys, args);
      const reply = parseAdmitReply(raw, plans.length);
      switch (reply?.kind) {
        case 'admitted':
          return { ok: true, lease: this.#lease(live) };
        case 'refused': {
          const plan = plans[reply.subject];
          if (plan === undefined) break;
          return { ok: false, refusal: toRefusal(plan, reply.limit, reply.retryAfterSeconds, now) };
        }
        case 'missing':
          await Promise.all(
            reply.subjects.map(async (index) => {
              const plan = plans[index];
              if (plan?.budget == null) return;
              const key = this.#prefix + plan.keys.budget;
              spent.set(index, await this.#loader.load(key, plan.subject, plan.budget.start));
            }),
          );
          continue;
        case undefined:
          break;
      }
      throw new CountersUnavailableError(
        `Redis at ${this.#where} gave an unexpected admission reply: ${JSON.stringify(raw)}.`,
      );
    }
    throw new CountersUnavailableError(
      `Budget counters for ${requestId} vanished from Redis at ${this.#where} while being initialised.`,
    );
  }

  /**
   * Pushes the expiry of every live lease's stream slots to `leaseMs` from now. The timer calls
   * it every leaseMs / 3; public so tests can call it at a time of their choosing.
   */
  async renewLeases(): Promise<void> {
    const keys: string[] = [];
    const members: string[] = [];
    for (const live of this.#live) {
      for (const plan of live.plans) {
        if (plan.maxStreams !== null) {
          keys.push(plan.keys.streams);
          members.push(live.requestId);
        }
        if (plan.budget !== null) {
          keys.push(plan.keys.held);
          members.push(live.held);
        }
      }
    }
    if (keys.length === 0) return;
    const { leaseMs, clock } = this.#options;
    const expiry = String(clock() + leaseMs);
    const ttl = String(leaseMs + LEASE_SET_MARGIN_MS);
    try {
      for (let i = 0; i < keys.length; i += RENEW_BATCH) {
        const batch = members.slice(i, i + RENEW_BATCH);
        await this.#run(RENEW_SCRIPT, keys.slice(i, i + RENEW_BATCH), [expiry, ttl, ...batch]);
      }
    } catch (err) {
      // The next tick tries again; a lease only lapses after leaseMs without a renewal.
      this.#options.log('limit counters: lease renewal failed', { redis: this.#where, err });
    }
  }

  async close(): Promise<void> {
    this.#stopRenewal();
    await this.#redis.close();
  }

  #lease(live: LiveLease): Lease {
    this.#live.add(live);
    return endOnce(
      async (used) => {
        this.#live.delete(live);
        const keys = live.plans.flatMap(({ keys: k }) => [
          k.tpm,
          k.streams,
          k.budget,
          k.held,
          k.heldSum,
        ]);
        await this.#run(END_SCRIPT, keys, endArgs(live, used, this.#options.clock()));
      },
      (err) => {
        this.#options.log('limit counters: lease end not recorded', {
          redis: this.#where,
          requestId: live.requestId,
          err,
        });
      },
    );
  }

  async #run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const prefixed = keys.map((key) => this.#prefix + key);
    try {
      return await runScript(
        (command) => this.#redis.client.sendCommand(command),
        script,
        prefixed,
        args,
      );
    } catch (err) {
      throw new CountersUnavailableError(
        `Redis at ${this.#where} failed running ${script.name}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
}

/** See `lua/admit.lua` for the layout. */
function admitArgs(
  { requestId, plans, held }: LiveLease,
  spent: ReadonlyMap<number, Spent>,
  now: number,
  leaseMs: number,
): string[] {
  const args = [
    String(now),
    requestId,
    String(now + leaseMs),
    String(leaseMs + LEASE_SET_MARGIN_MS),
    held,
  ];
  plans.forEach((plan, index) => {
    const { budget } = plan;
    const read = spent.get(index);
    args.push(
      optional(plan.rpm),
      optional(plan.tpm),
      optional(plan.maxStreams),
      optional(budget?.tokens),
      optional(budget?.cost),
      budget === null ? '' : String(counterLifetimeMs(budget.end, now)),
      read === undefined ? '' : String(read.tokens),
      read === undefined ? '' : String(read.cost),
    );
  });
  return args;
}

/** See `lua/end.lua` for the layout. */
function endArgs({ requestId, plans, held }: LiveLease, used: Used, now: number): string[] {
  const cost = used.cost !== null && Number.isFinite(used.cost) ? String(used.cost) : '';
  const args = [String(now), requestId, String(wholeTokens(used.tokens)), cost, held];
  for (const plan of plans) {
    args.push(
      optional(plan.tpm),
      plan.maxStreams === null ? '' : '1',
      plan.budget === null ? '' : String(counterLifetimeMs(plan.budget.end, now)),
    );
  }
  return args;
}

/**
 * A request's reserve as a member of a held set: the amounts first, so the request id may hold
 * any character (`lua/admit.lua` reads the two numbers off the front).
 */
function heldMember(requestId: string, reserve: Reserve): string {
  return `${wholeTokens(reserve.tokens)} ${money(reserve.cost)} ${requestId}`;
}

function optional(value: number | null | undefined): string {
  return value == null ? '' : String(value);
}
