/** Composes one running Sluice from a `Config`: the only place where the parts meet. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  Accounts,
  createLoginThrottle,
  KeyAuthenticator,
  type LoginThrottle,
  Sessions,
  WebAuth,
} from '../accounts/index.ts';
import { ChatApi } from '../chat/index.ts';
import { AdminApi } from '../admin/index.ts';
import type { ApiFamily, Config, GoogleCredentials } from '../config/index.ts';
import { everyObserver, Gateway, type GatewayObserver } from '../gateway/index.ts';
import { ListenError } from '../errors/index.ts';
import { clientIpResolver } from '../http/index.ts';
import type { Logger } from '../log/index.ts';
import { type Counters, createCounters } from '../metering/limits/index.ts';
import { Meter, recoverUsage, UsageJournal, UsageQueue } from '../metering/index.ts';
import { Probe } from '../probe/index.ts';
import { openStore, type Store } from '../store/index.ts';
import {
  type Exposition,
  type MetricsSnapshot,
  SluiceMetrics,
  startTracing,
} from '../telemetry/index.ts';
import {
  buildUpstreams,
  type DemoOptions,
  type DemoUpstream,
  demoUpstreams,
  Dispatchers,
  HealthRegistry,
  type MintedByCredentials,
  describeAzureSource,
  describeGoogleCredentials,
  type Upstream,
  startDemoUpstream,
} from '../upstream/index.ts';
import { hintFirstUser } from './first-user.ts';
import { SluiceServer } from './server.ts';

export interface RunningSluice {
  readonly url: URL;
  readonly server: SluiceServer;
  readonly store: Store;
  /** This process's id: in its request ids and records, and held alive through the store. */
  readonly instance: string;
  /** This process's metrics as values, for a primary adding up its workers'. */
  metricsSnapshot(): Promise<MetricsSnapshot>;
  /** Resolves when every request so far has ended and its usage record is in the store. */
  settled(): Promise<void>;
  /**
   * SIGHUP: new upstreams (keys, aliases, proxies, priorities), prices and default limits for
   * the requests that follow; requests in flight keep what they started with. Settings that only
   * a restart can change are named in the log.
   */
  reload(next: Config): Promise<void>;
  /** SIGTERM behaviour: stop accepting, let streams finish up to the deadline, write every record, release everything. */
  drain(deadlineMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly log: Logger;
  /** Pacing of the demo model (tests make it fast). */
  readonly demo?: DemoOptions;
  /** Set when this process is one worker of several (`--workers`): what its primary provides. */
  readonly worker?: WorkerSeat;
}

/**
 * What a worker of several gets from its primary (`cluster-worker.ts`). The primary has
 * already migrated the store and written what dead processes left behind, and does so again
 * whenever a worker dies: a worker never recovers, so two never recover at once.
 */
export interface WorkerSeat {
  /** The limit counters the primary holds; undefined with REDIS_URL (each worker uses Redis). */
  readonly counters: Counters | undefined;
  /** The sign-in throttle the primary holds; undefined with REDIS_URL, as the counters. */
  readonly throttle: LoginThrottle | undefined;
  /** `/metrics` of every worker together, asked of the primary. */
  readonly exposition: () => Promise<Exposition>;
}

export async function startSluice(
  config: Config,
  { log, demo: demoOptions, worker }: StartOptions,
): Promise<RunningSluice> {
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  log.info('store', {
    kind: store.kind,
    ...(store.kind === 'sqlite' ? { dataDir: config.dataDir } : {}),
  });
  // This process's id, in request ids and records; held alive through the store, so a later
  // start knows whether the records it left incomplete were cut short by its death.
  const instance = randomBytes(6).toString('hex');
  await store.claimInstance(instance);
  const journalDir = join(config.dataDir, 'journal');
  if (worker === undefined) await recoverUsage({ store, dir: journalDir, instance, log });
  const journal = new UsageJournal(journalDir, instance, log);
  const queue = new UsageQueue(store, { log, spillDir: config.dataDir, journal });
  if (worker === undefined) await queue.restoreSpilled();
  const counters: Counters =
    worker?.counters ??
    createCounters({
      redisUrl: config.redisUrl,
      keyPrefix: config.redisPrefix,
      budgetSource: (subject, since) =>
        store.usageTotals(
          subject.kind === 'key' ? { keyId: subject.id } : { userId: subject.id },
          since,
        ),
      log: (msg, fields) => {
        log.warn(msg, fields);
      },
    });

  const dispatchers = new Dispatchers(config.timeouts);
  const health = new HealthRegistry(config.breaker);
  const minted: MintedByCredentials = new Map();
  // What a reload (SIGHUP) replaces: requests in flight keep what they started with.
  const live = {
    config,
    upstreams: [] as Upstream[],
    demo: undefined as DemoUpstream | undefined,
    missing: [] as ApiFamily[],
  };
  const defaultLimits = { ...config.defaultLimits };
  const wire = async (next: Config) => {
    const upstreams = buildUpstreams(next, dispatchers, health, minted);
    const missing = (['openai', 'anthropic'] as const).filter(
      (f) => !upstreams.some((u) => u.family === f),
    );
    if (missing.length > 0) {
      live.demo ??= await startDemoUpstream(demoOptions);
      upstreams.push(...demoUpstreams(missing, live.demo.origin, dispatchers, health));
      log.info('demo model enabled', {
        model: 'sluice-demo',
        families: missing,
        hint: demoHint(missing),
      });
    }
    for (const u of upstreams.filter((u) => !u.demo)) {
      log.info('upstream', {
        name: u.name,
        family: u.family,
        url: u.origin + u.basePath,
        models: u.models,
        keys: u.keys.length,
        ...(u.bedrock === undefined ? {} : { aws: u.bedrock.source }),
        ...(u.azure?.entra === undefined ? {} : { entra: describeAzureSource(u.azure.entra) }),
        ...googleOf(next.upstreams.find((c) => c.name === u.name)?.googleCredentials),
        priority: u.priority,
        weight: u.weight,
      });
    }
    live.config = next;
    live.upstreams = upstreams;
    live.missing = missing;
    defaultLimits.key = next.defaultLimits.key;
    defaultLimits.user = next.defaultLimits.user;
  };
  await wire(config);
  const missing = live.missing;

  const shutdown = new AbortController();
  // The gateway asks the server whether it is draining; the server is made after the gateway.
  const holder: { server?: SluiceServer } = {};
  const internalSecret = randomBytes(32).toString('base64url');
  const authenticator = new KeyAuthenticator({ adminKey: config.adminKey, store, internalSecret });
  const accounts = new Accounts(store, defaultLimits);
  const sessions = new Sessions({ store });
  const webAuth = new WebAuth(authenticator, sessions);
  const clientIp = clientIpResolver(config.trustedProxies);
  const throttle =
    worker?.throttle ??
    createLoginThrottle({
      redisUrl: config.redisUrl,
      keyPrefix: config.redisPrefix,
      userId: (username) => accounts.idOf(username),
      log,
    });
  // Who hears of every finished request: metrics and traces (when an endpoint is set).
  const observers: GatewayObserver[] = [];
  const metrics = new SluiceMetrics({ labels: config.metrics.labels });
  observers.push(metrics);
  const tracing = await startTracing(config.traces, log, { instance });
  if (tracing !== undefined) observers.push(tracing.observer);
  const gateway = new Gateway({
    instance,
    config,
    upstreams: () => live.upstreams,
    authenticator,
    meter: new Meter({ queue, counters, prices: () => live.config.prices }),
    objects: store,
    log,
    draining: () => holder.server?.draining ?? false,
    shutdown: shutdown.signal,
    joinsTraces: tracing !== undefined,
    observer: everyObserver(observers, (error) => {
      log.error('an observer of finished requests failed', { error });
    }),
  });
  const probe = new Probe({ keepaliveMs: config.keepaliveMs, maxConcurrent: 16, maxPerClient: 4 });
  const chat = new ChatApi({
    store,
    accounts,
    sessions,
    auth: webAuth,
    throttle,
    gateway: () => loopback(holder.server),
    internalSecret,
    clientIp,
    log,
    demo: missing,
  });
  const server = new SluiceServer({
    gateway,
    probe,
    clientIp,
    usagePending: () => queue.pending,
    metrics,
    metricsAccess: config.metrics,
    upstreams: () => live.upstreams,
    admin: new AdminApi({
      accounts,
      store,
      identify: async (req) => (await webAuth.identify(req)).principal,
      defaultLimits,
      upstreams: () => live.upstreams,
    }),
    chat,
    log,
    shutdown,
    bodyTimeoutMs: config.bodyTimeoutMs,
    maxBodyInflightBytes: config.maxBodyInflightBytes,
    corsOrigins: config.corsOrigins,
    cluster: worker === undefined ? undefined : { exposition: worker.exposition },
    info: {
      demo: missing.length > 0 ? missing : false,
      store: store.kind,
      counters: config.redisUrl === undefined ? 'memory' : 'redis',
    },
  });
  holder.server = server;
  /** Everything but the server released, every record written: after a drain, or instead of serving. */
  const close = async () => {
    await queue.close();
    await Promise.all([
      dispatchers.close(),
      live.demo?.close(),
      counters.close(),
      throttle.close(),
      chat.close(),
      tracing?.close(),
    ]);
    await store.close();
  };
  let url: URL;
  try {
    url = await server.listen(config.port, config.host);
  } catch (error) {
    // Nothing was served: release what was opened, say which setting to change.
    await close();
    throw new ListenError(config.host, config.port, (error as { code?: string }).code);
  }
  // A worker's primary says "listening" once every worker does.
  log.info(worker === undefined ? 'listening' : 'worker listening', {
    url: url.href,
    pid: process.pid,
    instance,
  });
  if (worker === undefined) await hintFirstUser(config, store, loopback(server), log);

  return {
    url,
    server,
    store,
    instance,
    metricsSnapshot: () => metrics.snapshot(server.live()),
    async reload(next) {
      const fixed = RESTART_ONLY.filter(
        (name) => JSON.stringify(live.config[name]) !== JSON.stringify(next[name]),
      );
      if (fixed.length > 0)
        log.warn('these settings change only with a restart; kept as they were', { fixed });
      await wire({
        ...next,
        ...Object.fromEntries(fixed.map((name) => [name, live.config[name]])),
      });
      log.info('configuration reloaded', { upstreams: live.upstreams.map((u) => u.name) });
    },
    async settled() {
      await gateway.whenIdle();
      await queue.flush();
    },
    async drain(deadlineMs = config.drainMs) {
      await server.drain(deadlineMs);
      // Every request's record written before the queue closes: a stream cut at the deadline
      // whose connection was closed on it may still wait for its usage estimate.
      await Promise.race([
        gateway.whenIdle(),
        new Promise((resolve) => setTimeout(resolve, RECORDS_AFTER_DRAIN_MS).unref()),
      ]);
      await close();
    },
  };
}

/** After the drain, how long requests still unrecorded may take to write their records. */
const RECORDS_AFTER_DRAIN_MS = 30_000;

/** What a running process cannot change: its socket, its store, its counters, its admin key. */
const RESTART_ONLY = [
  'host',
  'port',
  'workers',
  'dataDir',
  'databaseUrl',
  'redisUrl',
  'redisPrefix',
  'adminKey',
  'trustedProxies',
  'timeouts',
  'keepaliveMs',
  'maxBodyBytes',
  'bodyTimeoutMs',
  'maxBodyInflightBytes',
  'drainMs',
  'logLevel',
  'logFormat',
  'breaker',
  'metrics',
  'traces',
] as const satisfies readonly (keyof Config)[];

/** Where the chat service reaches this process's own gateway: its listening address, loopback for a wildcard one. */
function loopback(server: SluiceServer | undefined): URL {
  const address = server?.http.address();
  if (address === null || address === undefined || typeof address === 'string') {
    throw new Error('the server is not listening yet');
  }
  const host =
    address.address === '0.0.0.0'
      ? '127.0.0.1'
      : address.address === '::'
        ? '::1'
        : address.address;
  return new URL(`http://${address.family === 'IPv6' ? `[${host}]` : host}:${address.port}`);
}

function demoHint(families: readonly ApiFamily[]): string {
  return families
    .map((f) =>
      f === 'openai'
        ? 'set OPENAI_API_KEY or BASE_URL for real OpenAI models'
        : 'set ANTHROPIC_API_KEY for real Anthropic models',
    )
    .join('; ');
}

/** What the log says of an upstream's Google credentials: never a key. */
function googleOf(credentials: GoogleCredentials | undefined): { google?: string } {
  return credentials === undefined ? {} : { google: describeGoogleCredentials(credentials) };
}
