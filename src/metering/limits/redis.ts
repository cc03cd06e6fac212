/**
 * Counters in Redis, so several Sluice instances enforce one global limit. Every admission is
 * one Lua script over all its subjects (`lua/admit.lua`), which Redis runs without interleaving,
 * so limits hold exactly however many instances race. Times are the callers' epoch ms, stored as
 * whole numbers; every key has a TTL, so nothing outlives its use.
 */
import { createClient } from '@redis/client';
import { parseAdmitReply } from './admit-reply.ts';
import { BudgetLoader, type Spent } from './budget-loader.ts';
import { CountersUnavailableError } from '../../errors/index.ts';
import { EMPTY_LEASE, endOnce, repeat, type Used } from './lease.ts';
import { resolveOptions, type CountersOptions, type ResolvedOptions } from './options.ts';
import { counterLifetimeMs } from './periods.ts';
import { toRefusal, planAdmission, wholeTokens, type SubjectPlan } from './plan.ts';
import { ADMIT_SCRIPT, END_SCRIPT, RENEW_SCRIPT, runScript, type Script } from './redis-scripts.ts';
import type { Admission, Counters, Lease, Subject } from './types.ts';

export interface RedisCountersOptions extends CountersOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  readonly url: string;
  /** Put before every key, so several deployments can share one Redis. Default `sluice:`. */
  readonly keyPrefix?: string;
}

export const DEFAULT_KEY_PREFIX = 'sluice:';

/** An admission waits this long for Redis, then the caller answers 503 rather than hang. */
const COMMAND_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** How long the first admission after start-up waits for the first connection. */
const FIRST_CONNECT_WAIT_MS = 3_000;
const MAX_RECONNECT_DELAY_MS = 2_000;
/** The lease set outlives its newest lease by this much, so its members expire by score first. */
const LEASE_SET_MARGIN_MS = 1_000;
/** Renewals go in batches so one script never holds Redis for long. */
const RENEW_BATCH = 500;
/** Reading budgets can race a counter's expiry; a few rounds settle it or something is wrong. */
const MAX_ATTEMPTS = 3;

interface LiveLease {
  readonly requestId: string;
  readonly plans: readonly SubjectPlan[];
}

type Client = ReturnType<typeof createClient>;

export class RedisCounters implements Counters {
  readonly #options: ResolvedOptions;
  readonly #prefix: string;
  readonly #where: string;
  readonly #client: Client;
  readonly #loader: BudgetLoader;
  readonly #live = new Set<LiveLease>();
  readonly #firstConnection: Promise<boolean>;
  readonly #stopRenewal: () => void;
  #connection: 'connecting' | 'up' | 'down' = 'connecting';
  #everConnected = false;

  constructor(options: RedisCountersOptions) {
    this.#options = resolveOptions(options);
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.#where = redactUrl(options.url);
    this.#loader = new BudgetLoader(this.#options.budgetSource);
    this.#client = createClient({
      url: options.url,
      // A command sent while disconnected fails at once instead of waiting for a reconnect:
      // an admission must not hang, and a queued one would run with a stale `now`.
      disableOfflineQueue: true,
      commandOptions: { timeout: COMMAND_TIMEOUT_MS },
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
      },
    });
    this.#client.on('error', (err: unknown) => {
      if (this.#connection === 'down') return; // once per outage, not once per retry
      this.#connection = 'down';
      this.#options.log('limit counters: Redis unreachable', { redis: this.#where, err });
    });
    this.#client.on('ready', () => {
      if (this.#connection === 'down') {
        this.#options.log('limit counters: Redis reachable again', { redis: this.#where });
      }
      this.#connection = 'up';
      this.#everConnected = true;
    });
    // Settles on the first attempt, whichever way it goes; the client keeps retrying after.
    this.#firstConnection = new Promise((resolve) => {
      this.#client.once('ready', () => {
        resolve(true);
      });
      this.#client.once('error', () => {
        resolve(false);
      });
    });
    // Rejects only if closed before it ever connected; the 'error' handler has logged why.
    this.#client.connect().catch(() => undefined);
    this.#stopRenewal = repeat(this.#options.leaseMs / 3, () => this.renewLeases());
  }

  /**
   * Resolves once Redis has been reached; throws `CountersUnavailableError` if the first attempt
   * failed or took more than a few seconds. Later outages are not waited for: commands then fail
   * at once.
   */
  async ready(): Promise<void> {
    if (this.#everConnected) return;
    // Already failed once: answer now rather than make every request wait out the retries.
    if (this.#connection === 'down') throw this.#unreachable();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, FIRST_CONNECT_WAIT_MS, false);
    });
    const connected = await Promise.race([this.#firstConnection, timedOut]);
    clearTimeout(timer);
    if (!connected) throw this.#unreachable();
  }

  #unreachable(): CountersUnavailableError {
    return new CountersUnavailableError(`Redis at ${this.#where} is not reachable.`);
  }

  async admit(subjects: readonly Subject[], requestId: string, now: number): Promise<Admission> {
    const plans = planAdmission(subjects, now);
    if (plans.length === 0) return { ok: true, lease: EMPTY_LEASE };
    await this.ready();
    const keys = plans.flatMap(({ keys: k }) => [k.rpm, k.tpm, k.streams, k.budget]);
    const spent = new Map<number, Spent>();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const args = admitArgs(plans, spent, requestId, now, this.#options.leaseMs);
      const raw = await this.#run(ADMIT_SCRIPT, keys, args);
      const reply = parseAdmitReply(raw, plans.length);
      switch (reply?.kind) {
        case 'admitted':
          return { ok: true, lease: this.#lease(plans, requestId) };
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
        if (plan.maxStreams === null) continue;
        keys.push(plan.keys.streams);
        members.push(live.requestId);
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
    if (!this.#client.isOpen) return;
    // Destroying the client mid-connect leaks the socket it is opening: let the attempt settle.
    if (this.#connection === 'connecting') await this.#firstConnection;
    if (this.#client.isReady) {
      await this.#client.close();
    } else {
      this.#client.destroy();
    }
  }

  #lease(plans: readonly SubjectPlan[], requestId: string): Lease {
    const live: LiveLease = { requestId, plans };
    this.#live.add(live);
    return endOnce(
      async (used) => {
        this.#live.delete(live);
        const keys = plans.flatMap(({ keys: k }) => [k.tpm, k.streams, k.budget]);
        await this.#run(END_SCRIPT, keys, endArgs(plans, used, requestId, this.#options.clock()));
      },
      (err) => {
        this.#options.log('limit counters: lease end not recorded', {
          redis: this.#where,
          requestId,
          err,
        });
      },
    );
  }

  async #run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const prefixed = keys.map((key) => this.#prefix + key);
    try {
      return await runScript(
        (command) => this.#client.sendCommand(command),
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
  plans: readonly SubjectPlan[],
  spent: ReadonlyMap<number, Spent>,
  requestId: string,
  now: number,
  leaseMs: number,
): string[] {
  const args = [
    String(now),
    requestId,
    String(now + leaseMs),
    String(leaseMs + LEASE_SET_MARGIN_MS),
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
function endArgs(
  plans: readonly SubjectPlan[],
  used: Used,
  requestId: string,
  now: number,
): string[] {
  const cost = used.cost !== null && Number.isFinite(used.cost) ? String(used.cost) : '';
  const args = [String(now), requestId, String(wholeTokens(used.tokens)), cost];
  for (const plan of plans) {
    args.push(
      optional(plan.tpm),
      plan.maxStreams === null ? '' : '1',
      plan.budget === null ? '' : String(counterLifetimeMs(plan.budget.end, now)),
    );
  }
  return args;
}

function optional(value: number | null | undefined): string {
  return value == null ? '' : String(value);
}

/** The URL for logs and messages, without its password. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}
