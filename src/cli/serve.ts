import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Config, type ConfigSources, loadConfig } from '../config/index.ts';
import { ConfigError, ListenError } from '../errors/index.ts';
import { createLogger } from '../log/index.ts';
import { reloadConfig, runPrimary, runWorker, startSluice } from '../server/index.ts';
import { type Command, EXIT } from './command.ts';

export const serve: Command = {
  name: 'serve',
  help: `Usage: sluice serve [options]

Runs Sluice: the OpenAI-compatible gateway under /v1, /healthz, /readyz, /metrics and the
/sluice/probe stream. Stops gracefully on SIGTERM or Ctrl-C: open streams may finish (up to
SLUICE_DRAIN_TIMEOUT); the same signal again, a second or more later, stops at once.

Options (each overrides the environment variable named after it):
  --host HOST          address to listen on (HOST, default 127.0.0.1)
  --port PORT          port to listen on (PORT, default 8080; 0 picks a free one)
  --config FILE        JSON config file with upstreams, timeouts, limits (SLUICE_CONFIG)
  --data-dir DIR       where Sluice keeps its data (SLUICE_DATA_DIR, default ./data)
  --log-level LEVEL    debug | info | warn | error | silent (SLUICE_LOG_LEVEL, default info)
  --keepalive DURATION interval of keepalive comments, e.g. 15s (SLUICE_KEEPALIVE)
  --workers N          processes serving the port: a number, or auto for one per core
                       (SLUICE_WORKERS, default 1); limits, drain, reload and /metrics
                       cover them all
  -h, --help           show this help

Upstreams: OPENAI_API_KEY with BASE_URL or OPENAI_BASE_URL; ANTHROPIC_API_KEY with
ANTHROPIC_BASE_URL. Without any, the built-in demo model "sluice-demo" answers.
Egress: HTTP_PROXY, HTTPS_PROXY, NO_PROXY, ALL_PROXY (socks5://…).
Timeouts: SLUICE_CONNECT_TIMEOUT, SLUICE_FIRST_BYTE_TIMEOUT, SLUICE_IDLE_TIMEOUT,
SLUICE_TOTAL_TIMEOUT, SLUICE_DRAIN_TIMEOUT. Request bodies: SLUICE_MAX_BODY (e.g. 32mb),
SLUICE_BODY_TIMEOUT (a body silent this long gets 408, default 60s), SLUICE_MAX_BODY_INFLIGHT
(all bodies in flight together, default 256mb).
Auth: SLUICE_ADMIN_KEY (at least 32 characters) is the bootstrap key accepted on every route.
Watching: SLUICE_LOG_FORMAT (pretty | json; pretty on a terminal), SLUICE_METRICS_TOKEN,
SLUICE_METRICS_LISTEN, SLUICE_METRICS_LABELS; traces with OTEL_EXPORTER_OTLP_ENDPOINT.
`,
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
        keepalive: { type: 'string' },
        workers: { type: 'string' },
      },
      strict: true,
    });
    const sources = {
      env: io.env,
      flags: {
        ...(values.host === undefined ? {} : { host: values.host }),
        ...(values.port === undefined ? {} : { port: values.port }),
        ...(values.config === undefined ? {} : { config: values.config }),
        ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
        ...(values['log-level'] === undefined ? {} : { logLevel: values['log-level'] }),
        ...(values.keepalive === undefined ? {} : { keepalive: values.keepalive }),
        ...(values.workers === undefined ? {} : { workers: values.workers }),
      },
    };
    // A worker of several runs what its primary read and checked (`server/cluster-worker.ts`).
    if (cluster.isWorker) return await runWorker(sources);
    let config;
    let configText: string | null;
    try {
      ({ config, configText } = readConfig(sources));
    } catch (error) {
      if (error instanceof ConfigError) {
        io.stderr.write(`${error.message}\n`);
        return EXIT.usage;
      }
      throw error;
    }
    const log = createLogger(config.logLevel, { format: config.logFormat });
    if (config.workers > 1) {
      return await runPrimary({
        config,
        configText,
        reread: () => readConfig(sources),
        log,
        logFormat: config.logFormat ?? (process.stderr.isTTY ? 'pretty' : 'json'),
      });
    }
    let sluice;
    try {
      sluice = await startSluice(config, { log });
    } catch (error) {
      // A taken port and the like: one line saying what to change, in the log's own form.
      if (!(error instanceof ListenError)) throw error;
      log.error(error.message);
      return EXIT.failure;
    }
    // SIGHUP re-reads the configuration (the file named by SLUICE_CONFIG or --config); a bad one
    // leaves the running configuration as it is, and says why.
    const reload = () => {
      reloadConfig(sluice, sources, log);
    };
    process.on('SIGHUP', reload);
    await new Promise<void>((resolve) => {
      let drainingSince: number | undefined;
      const stop = (signal: string) => {
        if (drainingSince === undefined) {
          drainingSince = performance.now();
          process.off('SIGHUP', reload);
          log.info('draining', { signal, deadline_ms: config.drainMs });
          sluice.drain().then(resolve, (error: unknown) => {
            log.error('drain failed', { error });
            resolve();
          });
          return;
        }
        // Ctrl-C under `npm start` arrives twice at once: from the terminal, and forwarded by
        // npm. Only a signal sent again later means "stop now".
        if (performance.now() - drainingSince < REPEAT_MEANS_FORCE_AFTER_MS) return;
        log.warn('stopping now, without waiting for open streams', { signal });
        process.exit(EXIT.failure);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    log.info('stopped');
    return EXIT.ok;
  },
};

/**
 * The configuration, with the text of its file as read for it: a primary hands that very text
 * to its workers, so they run what it checked even if the file changes meanwhile.
 */
function readConfig(sources: ConfigSources): { config: Config; configText: string | null } {
  let configText: string | null = null;
  const config = loadConfig({
    ...sources,
    readFile: (path) => (configText = readFileSync(path, 'utf8')),
  });
  return { config, configText };
}

/** A second SIGINT or SIGTERM this long after the first stops at once instead of draining. */
const REPEAT_MEANS_FORCE_AFTER_MS = 1_000;
