/**
 * One worker of several (`sluice serve --workers N`): a whole Sluice (`startSluice`), on the port
 * its primary shares, with what the primary provides — the configuration it validated, the
 * limit counters when they live in memory, `/metrics` of every worker — and the primary's
 * orders: reload, drain. It writes usage records under its own instance id, journal included,
 * as any Sluice process does; recovering after a dead process is the primary's.
 */
import type { ConfigSources } from '../config/index.ts';
import { loadConfig } from '../config/index.ts';
import { ListenError } from '../errors/index.ts';
import { createLogger } from '../log/index.ts';
import { type CountersCall, RemoteCounters } from '../metering/limits/index.ts';
import type { Exposition } from '../telemetry/index.ts';
import { startSluice, type RunningSluice } from './app.ts';
import { reloadConfig } from './reload.ts';
import { Channel, primaryEndpoint } from './cluster-channel.ts';
import { RemoteLoginThrottle, type SignInCall } from './cluster-sign-in.ts';
import {
  CALLS,
  NOTICES,
  type ReloadOrder,
  type Seat,
  type WorkerListening,
} from './cluster-protocol.ts';

/** Exit statuses, as `sluice serve` uses them. */
const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * Serves until the primary (or a signal to this process) says drain, then exits; exits 1 if it
 * cannot start. It never returns: the channel to the primary would keep the process alive.
 */
export async function runWorker(sources: ConfigSources): Promise<never> {
  try {
    // Everything is written by now; the log flushes at exit.
    process.exit(await serveAsWorker(sources));
  } catch (error) {
    createLogger('error').error('a worker could not start', { error });
    process.exit(EXIT.failure);
  }
}

async function serveAsWorker(sources: ConfigSources): Promise<number> {
  const channel = new Channel(primaryEndpoint());
  // Orders to stop may come while this worker is still starting; they wait for it.
  const stopping = stopOrders(channel);
  const seat = (await channel.call(CALLS.seat)) as Seat;
  const read = (text: string | null): ConfigSources =>
    text === null ? sources : { ...sources, readFile: () => text };
  const config = loadConfig(read(seat.configText));
  const log = createLogger(config.logLevel, { format: seat.logFormat }).child({
    worker: seat.slot,
  });
  const counters =
    config.redisUrl === undefined
      ? new RemoteCounters(
          (call: CountersCall) => channel.call(CALLS.counters, call),
          (msg, fields) => {
            log.warn(msg, fields);
          },
        )
      : undefined;
  let sluice: RunningSluice;
  try {
    sluice = await startSluice(config, {
      log,
      worker: {
        counters,
        throttle:
          config.redisUrl === undefined
            ? new RemoteLoginThrottle((call: SignInCall) => channel.call(CALLS.signIn, call))
            : undefined,
        exposition: async () => (await channel.call(CALLS.metrics)) as Exposition,
      },
    });
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    log.error(error.message);
    return EXIT.failure;
  }
  channel.answer(CALLS.snapshot, () => sluice.metricsSnapshot());
  channel.on(NOTICES.reload, (body) => {
    reloadConfig(sluice, read((body as ReloadOrder).configText), log);
  });
  const listening: WorkerListening = {
    url: sluice.url.href,
    instance: sluice.instance,
    pid: process.pid,
  };
  channel.notify(NOTICES.listening, listening);

  const why = await stopping;
  log.info('worker draining', { why, deadline_ms: config.drainMs });
  let code: number = EXIT.ok;
  try {
    await sluice.drain();
  } catch (error) {
    log.error('drain failed', { error });
    code = EXIT.failure;
  }
  log.info('worker stopped');
  return code;
}

/** Resolves with what asked this worker to stop: its primary, or a signal. */
function stopOrders(channel: Channel): Promise<string> {
  return new Promise((resolve) => {
    channel.on(NOTICES.drain, () => {
      resolve('primary');
    });
    // A signal to the process group (Ctrl-C at a terminal) reaches the workers too; one sent
    // to this worker alone drains it, and the primary starts another in its place.
    process.on('SIGTERM', () => {
      resolve('SIGTERM');
    });
    process.on('SIGINT', () => {
      resolve('SIGINT');
    });
    // The primary reloads every worker (it validates the file once); a hangup of the terminal
    // must not end this one.
    process.on('SIGHUP', () => undefined);
  });
}
