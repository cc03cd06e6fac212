/**
 * `sluice serve --workers N` (N > 1): this process is the primary. It serves no request itself;
 * it forks N workers (`cluster-worker.ts`), each a whole Sluice, that share the listening port
 * through node:cluster — the primary holds the socket and hands each new connection to the
 * next worker in turn (round-robin) — and it keeps what must be one for all of them:
 *
 * - the usage books: the store is migrated and what dead processes left behind is recovered
 *   (`recoverUsage`) here, before the workers start and again each time one dies, one recovery
 *   at a time; each worker journals its own records under its own instance id;
 * - the limit counters when they live in memory (no REDIS_URL): one `MemoryCounters` here,
 *   asked by every worker (`metering/limits/remote.ts`), so a limit is exact across workers;
 * - `/metrics` of all workers added up (`telemetry/metrics-cluster.ts`), on the main port
 *   (whichever worker answers asks the primary) and on `SLUICE_METRICS_LISTEN`, served here;
 * - the signals: SIGHUP re-reads the configuration once and sends every worker the text it
 *   validated; SIGTERM (or SIGINT) drains every worker, then the primary exits.
 *
 * A worker that dies is replaced in its place (1 to N) and logged; the others serve on. One
 * that dies soon after it started is replaced after a growing pause, so a worker that cannot
 * live does not spin.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryLoginThrottle } from '../accounts/index.ts';
import type { Config } from '../config/index.ts';
import { ConfigError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import { type CountersCall, CountersHost, MemoryCounters } from '../metering/limits/index.ts';
import { recoverUsage, UsageQueue } from '../metering/index.ts';
import { openStore, type Store } from '../store/index.ts';
import {
  ClusterMetrics,
  type Exposition,
  isSnapshot,
  SluiceMetrics,
  type WorkerSnapshot,
} from '../telemetry/index.ts';
import { hintFirstUser } from './first-user.ts';
import { Channel, workerEndpoint } from './cluster-channel.ts';
import { forwardLines } from './cluster-output.ts';
import { type SignInCall, SignInHost } from './cluster-sign-in.ts';
import { CALLS, NOTICES, type Seat, type WorkerListening } from './cluster-protocol.ts';
import { MetricsListener } from './metrics.ts';

export interface PrimaryOptions {
  readonly config: Config;
  /** The config file's text as read for `config` (null: no file). */
  readonly configText: string | null;
  /** SIGHUP: the configuration read again, or a `ConfigError`. */
  readonly reread: () => { readonly config: Config; readonly configText: string | null };
  readonly log: Logger;
  /** The format the workers write their log in (their stderr is a pipe, not the terminal). */
  readonly logFormat: 'pretty' | 'json';
}

/** How long a worker may take to report its metrics before a scrape goes on without it. */
const SNAPSHOT_TIMEOUT_MS = 5_000;
/** Past the drain deadline, workers get this long to end their streams and exit, then SIGKILL. */
const DRAIN_GRACE_MS = 10_000;
/** A worker that dies within this of starting is replaced after a pause (1 s, doubling to 30 s). */
const QUICK_DEATH_MS = 10_000;
const MAX_PAUSE_MS = 30_000;
/** A second SIGINT or SIGTERM this long after the first stops at once instead of draining. */
const REPEAT_MEANS_FORCE_AFTER_MS = 1_000;

interface Member {
  readonly slot: number;
  readonly worker: Worker;
  readonly channel: Channel;
  readonly started: number;
  listening: WorkerListening | undefined;
  /** Its metrics as it last reported them: what a scrape it misses shows for it. */
  metrics?: WorkerSnapshot['metrics'];
}

type Phase = 'starting' | 'serving' | 'stopping';

/** Runs until drained by a signal; resolves with the exit status. */
export async function runPrimary(options: PrimaryOptions): Promise<number> {
  const { config } = options;
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    return await new Primary(options, store).run();
  } finally {
    await store.close();
  }
}

class Primary {
  readonly #o: PrimaryOptions;
  readonly #log: Logger;
  readonly #store: Store;
  /** Compared with no worker's: recovery closes every dead instance's records but none here. */
  readonly #self = `primary-${randomBytes(6).toString('hex')}`;
  readonly #members = new Map<number, Member>();
  /** Quick deaths in a row, by slot, for the pause before the next replacement. */
  readonly #quickDeaths = new Map<number, number>();
  readonly #restartTimers = new Set<NodeJS.Timeout>();
  readonly #metrics: ClusterMetrics;
  readonly #own: SluiceMetrics;
  readonly #host: CountersHost | undefined;
  readonly #signIn: SignInHost | undefined;
  #configText: string | null;
  #phase: Phase = 'starting';
  #recovering: Promise<void> = Promise.resolve();
  #failed = false;
  /** Told when the set of members changes: start-up and the drain wait on it. */
  #changed: () => void = () => undefined;

  constructor(options: PrimaryOptions, store: Store) {
    this.#o = options;
    this.#log = options.log;
    this.#store = store;
    this.#configText = options.configText;
    this.#own = new SluiceMetrics({ labels: options.config.metrics.labels });
    this.#metrics = new ClusterMetrics(this.#own);
    const { config } = options;
    this.#host =
      config.redisUrl === undefined
        ? new CountersHost(
            new MemoryCounters({
              budgetSource: (subject, since) =>
                store.usageTotals(
                  subject.kind === 'key' ? { keyId: subject.id } : { userId: subject.id },
                  since,
                ),
              log: (msg, fields) => {
                this.#log.warn(msg, fields);
              },
            }),
          )
        : undefined;
    this.#signIn =
      config.redisUrl === undefined
        ? new SignInHost(
            new MemoryLoginThrottle({
              userId: async (username) => (await store.findUserByName(username))?.id,
            }),
          )
        : undefined;
  }

  async run(): Promise<number> {
    const { config } = this.#o;
    const log = this.#log;
    log.info('store', {
      kind: this.#store.kind,
      ...(this.#store.kind === 'sqlite' ? { dataDir: config.dataDir } : {}),
    });
    await this.#recover();
    await new UsageQueue(this.#store, { log, spillDir: config.dataDir }).restoreSpilled();
    const metrics = await this.#listenForMetrics();
    if (!metrics.ok) {
      log.error(metrics.problem);
      return 1;
    }
    const listener = metrics.listener;
    try {
      cluster.schedulingPolicy = cluster.SCHED_RR;
      // The workers' output comes through here, line by line (`cluster-output.ts`).
      cluster.setupPrimary({ silent: true });
      for (let slot = 1; slot <= config.workers; slot++) this.#fork(slot);
      const first = await this.#started();
      if (first === undefined) return await this.#abandon();
      this.#phase = 'serving';
      log.info('listening', { url: first.url, pid: process.pid, workers: config.workers });
      const page = new URL(first.url);
      if (page.hostname === '0.0.0.0') page.hostname = '127.0.0.1';
      if (page.hostname === '[::]') page.hostname = '[::1]';
      await hintFirstUser(config, this.#store, page, log);
      return await this.#serve();
    } finally {
      await listener?.close();
      await this.#host?.close();
      await this.#signIn?.close();
      await this.#recovering;
    }
  }

  /** Until a signal stops it: SIGHUP reloads, SIGTERM/SIGINT drain. */
  #serve(): Promise<number> {
    const reload = () => {
      this.#reload();
    };
    process.on('SIGHUP', reload);
    return new Promise<number>((resolve) => {
      let drainingSince: number | undefined;
      const stop = (signal: string) => {
        if (drainingSince === undefined) {
          drainingSince = performance.now();
          process.off('SIGHUP', reload);
          void this.#drain(signal).then(resolve);
          return;
        }
        // As in one process (`cli/serve.ts`): a signal repeated a second or more later means now.
        if (performance.now() - drainingSince < REPEAT_MEANS_FORCE_AFTER_MS) return;
        this.#log.warn('stopping now, without waiting for open streams', { signal });
        for (const member of this.#members.values()) member.worker.process.kill('SIGKILL');
        process.exit(1);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  }

  #fork(slot: number): void {
    const worker = cluster.fork();
    const member: Member = {
      slot,
      worker,
      channel: new Channel(workerEndpoint(worker)),
      started: performance.now(),
      listening: undefined,
    };
    this.#members.set(worker.id, member);
    forwardLines(worker.process.stdout, process.stdout);
    forwardLines(worker.process.stderr, process.stderr);
    const { channel } = member;
    channel.answer(CALLS.seat, (): Seat => {
      return { slot, configText: this.#configText, logFormat: this.#o.logFormat };
    });
    channel.answer(CALLS.counters, (call) => {
      if (this.#host === undefined) throw new Error('the limit counters are in Redis');
      return this.#host.serve(String(worker.id), call as CountersCall);
    });
    channel.answer(CALLS.signIn, (call) => {
      if (this.#signIn === undefined) throw new Error('the sign-in throttle is in Redis');
      return this.#signIn.serve(String(worker.id), call as SignInCall);
    });
    channel.answer(CALLS.metrics, () => this.#exposition());
    channel.on(NOTICES.listening, (body) => {
      member.listening = body as WorkerListening;
      this.#quickDeaths.delete(slot);
      this.#metrics.workers = this.#serving().length;
      if (this.#phase === 'serving')
        this.#log.info('worker replaced', { worker: slot, pid: member.listening.pid });
      this.#changed();
    });
    // Sending to a worker that just died: the exit says it better.
    worker.on('error', () => undefined);
    worker.on('exit', (code, signal) => {
      this.#exited(member, code, signal);
    });
  }

  #exited(member: Member, code: number | null, signal: string | null): void {
    const { slot, worker } = member;
    this.#members.delete(worker.id);
    member.channel.close(new Error(`worker ${slot} is gone`));
    this.#metrics.workers = this.#serving().length;
    void this.#metrics.retire(worker.id);
    void this.#host?.release(String(worker.id));
    // A worker that could not finish its drain makes the whole stop a failure; one that died
    // while serving was replaced, and says so in the log.
    if (code !== 0 && this.#phase === 'stopping') this.#failed = true;
    const fields = {
      worker: slot,
      pid: worker.process.pid,
      instance: member.listening?.instance,
      code,
      signal,
    };
    if (this.#phase === 'serving') {
      // Its requests in flight left records `incomplete`; they are closed as `interrupted` now
      // that its liveness socket (or PostgreSQL lock) has died with it.
      void this.#recover(member.listening?.instance);
      const quick = performance.now() - member.started < QUICK_DEATH_MS;
      const deaths = quick ? (this.#quickDeaths.get(slot) ?? 0) + 1 : 0;
      this.#quickDeaths.set(slot, deaths);
      const pauseMs = deaths === 0 ? 0 : Math.min(MAX_PAUSE_MS, 1000 * 2 ** (deaths - 1));
      this.#metrics.countRestart();
      this.#log.error('worker stopped unexpectedly; starting another', {
        ...fields,
        restart_in_ms: pauseMs,
      });
      const timer = setTimeout(() => {
        this.#restartTimers.delete(timer);
        if (this.#phase === 'serving') this.#fork(slot);
      }, pauseMs);
      this.#restartTimers.add(timer);
    } else {
      this.#log[code === 0 ? 'info' : 'warn']('worker exited', fields);
    }
    this.#changed();
  }

  /** Resolves with the first worker's address once all listen; undefined if one exits first. */
  #started(): Promise<WorkerListening | undefined> {
    const want = this.#o.config.workers;
    return new Promise((resolve) => {
      this.#changed = () => {
        const serving = this.#serving();
        if (this.#members.size < want) resolve(undefined);
        else if (serving.length === want) resolve(serving[0]?.listening);
      };
    });
  }

  /** A worker could not start (its own log line says why): the others stop, and so does this. */
  async #abandon(): Promise<number> {
    this.#phase = 'stopping';
    this.#log.error('a worker could not start; stopping the others');
    await this.#allGone(() => {
      for (const member of this.#members.values()) member.worker.process.kill('SIGTERM');
    });
    return 1;
  }

  async #drain(signal: string): Promise<number> {
    this.#phase = 'stopping';
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    this.#log.info('draining', {
      signal,
      deadline_ms: this.#o.config.drainMs,
      workers: this.#members.size,
    });
    const deadline = setTimeout(() => {
      this.#log.warn('workers still running past the drain deadline; killing them', {
        workers: [...this.#members.values()].map((m) => m.slot),
      });
      for (const member of this.#members.values()) member.worker.process.kill('SIGKILL');
    }, this.#o.config.drainMs + DRAIN_GRACE_MS);
    await this.#allGone(() => {
      for (const member of this.#members.values()) member.channel.notify(NOTICES.drain);
    });
    clearTimeout(deadline);
    return this.#failed ? 1 : 0;
  }

  /** Calls `act`, then waits until no worker is left. */
  #allGone(act: () => void): Promise<void> {
    return new Promise((resolve) => {
      this.#changed = () => {
        if (this.#members.size === 0) resolve();
      };
      act();
      this.#changed();
    });
  }

  /** SIGHUP: read once, checked once, the same text to every worker. */
  #reload(): void {
    let next;
    try {
      next = this.#o.reread();
    } catch (error) {
      this.#log.error('configuration not reloaded: the running one stays', {
        problems: error instanceof ConfigError ? error.problems : [String(error)],
      });
      return;
    }
    this.#configText = next.configText;
    this.#log.info('reloading the configuration in every worker', {
      workers: this.#members.size,
    });
    for (const member of this.#members.values())
      member.channel.notify(NOTICES.reload, { configText: next.configText });
  }

  /**
   * One recovery at a time: two reading the same journal could write a stale version last.
   * `died`: the instance of a worker seen to exit.
   */
  #recover(died?: string): Promise<void> {
    const dir = join(this.#o.config.dataDir, 'journal');
    this.#recovering = this.#recovering
      .then(() =>
        recoverUsage({ store: this.#store, dir, instance: this.#self, died, log: this.#log }),
      )
      .catch((error: unknown) => {
        this.#log.error('could not recover usage records of a process that died', { error });
      });
    return this.#recovering;
  }

  #serving(): Member[] {
    return [...this.#members.values()].filter((m) => m.listening !== undefined);
  }

  /** `/metrics`: every serving worker's, asked now, added to the primary's. */
  async #exposition(): Promise<Exposition> {
    const snapshots = await Promise.all(
      this.#serving().map(async (member): Promise<WorkerSnapshot | undefined> => {
        try {
          const metrics = await member.channel.call(CALLS.snapshot, null, SNAPSHOT_TIMEOUT_MS);
          if (!isSnapshot(metrics)) throw new Error('not a metrics snapshot');
          member.metrics = metrics;
          return { slot: member.slot, id: member.worker.id, metrics };
        } catch (error) {
          // A worker busy past the timeout still counted what it counted: left out, the sums
          // went down, and Prometheus read a counter reset (and a false increase after it).
          this.#log.warn('a worker did not report its metrics; its last report is shown', {
            worker: member.slot,
            error,
          });
          const { metrics } = member;
          return metrics === undefined
            ? undefined
            : { slot: member.slot, id: member.worker.id, metrics };
        }
      }),
    );
    return this.#metrics.render(snapshots.filter((s) => s !== undefined));
  }

  /** `SLUICE_METRICS_LISTEN`: served once, here. */
  async #listenForMetrics(): Promise<
    | { readonly ok: true; readonly listener: MetricsListener | undefined }
    | { readonly ok: false; readonly problem: string }
  > {
    const { listen, token } = this.#o.config.metrics;
    if (listen === undefined) return { ok: true, listener: undefined };
    const listener = new MetricsListener(
      { token, render: () => this.#exposition() },
      (status) => {
        this.#own.countHttp('metrics', status);
      },
      this.#log,
    );
    try {
      const url = await listener.listen(listen.host, listen.port);
      this.#log.info('metrics listening', { url: url.href });
      return { ok: true, listener };
    } catch (error) {
      const reason = (error as { code?: string }).code ?? String(error);
      return {
        ok: false,
        problem: `Cannot serve /metrics on ${listen.host}:${listen.port} (${reason}): set SLUICE_METRICS_LISTEN to a free address.`,
      };
    }
  }
}
