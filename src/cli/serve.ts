import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.ts';
import { ConfigError } from '../errors/index.ts';
import { createLogger } from '../log/index.ts';
import { startSluice } from '../server/index.ts';
import { type Command, EXIT } from './command.ts';

export const serve: Command = {
  name: 'serve',
  summary: 'run the gateway (what `npm start` does)',
  help: `Usage: sluice serve [options]

Runs Sluice: the OpenAI-compatible gateway under /v1, /healthz, /readyz, /metrics and the
/sluice/probe stream. Stops gracefully on SIGTERM or Ctrl-C: open streams may finish.

Options (each overrides the environment variable named after it):
  --host HOST          address to listen on (HOST, default 127.0.0.1)
  --port PORT          port to listen on (PORT, default 8080; 0 picks a free one)
  --config FILE        JSON config file with upstreams, timeouts, limits (SLUICE_CONFIG)
  --data-dir DIR       where Sluice keeps its data (SLUICE_DATA_DIR, default ./data)
  --log-level LEVEL    debug | info | warn | error | silent (SLUICE_LOG_LEVEL, default info)
  --keepalive DURATION interval of keepalive comments, e.g. 15s (SLUICE_KEEPALIVE)
  -h, --help           show this help

Upstreams: OPENAI_API_KEY with BASE_URL or OPENAI_BASE_URL; ANTHROPIC_API_KEY with
ANTHROPIC_BASE_URL. Without any, the built-in demo model "sluice-demo" answers.
Egress: HTTP_PROXY, HTTPS_PROXY, NO_PROXY, ALL_PROXY (socks5://…).
Timeouts: SLUICE_CONNECT_TIMEOUT, SLUICE_FIRST_BYTE_TIMEOUT, SLUICE_IDLE_TIMEOUT,
SLUICE_TOTAL_TIMEOUT, SLUICE_DRAIN_TIMEOUT. Request bodies: SLUICE_MAX_BODY (e.g. 32mb),
SLUICE_BODY_TIMEOUT (a body silent this long gets 408, default 60s), SLUICE_MAX_BODY_INFLIGHT
(all bodies in flight together, default 256mb).
Auth: SLUICE_ADMIN_KEY (at least 32 characters) is the bootstrap key accepted on every route.
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
      },
    };
    let config;
    try {
      config = loadConfig(sources);
    } catch (error) {
      if (error instanceof ConfigError) {
        io.stderr.write(`${error.message}\n`);
        return EXIT.usage;
      }
      throw error;
    }
    const log = createLogger(config.logLevel);
    const sluice = await startSluice(config, { log });
    // SIGHUP re-reads the configuration (the file named by SLUICE_CONFIG or --config); a bad one
    // leaves the running configuration as it is, and says why.
    const reload = () => {
      let next;
      try {
        next = loadConfig(sources);
      } catch (error) {
        log.error('configuration not reloaded: the running one stays', {
          problems: error instanceof ConfigError ? error.problems : [String(error)],
        });
        return;
      }
      sluice.reload(next).catch((error: unknown) => {
        log.error('configuration not reloaded: the running one stays', { error });
      });
    };
    process.on('SIGHUP', reload);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.off('SIGHUP', reload);
        log.info('draining', { signal, deadline_ms: config.drainMs });
        process.once('SIGTERM', () => process.exit(EXIT.failure));
        process.once('SIGINT', () => process.exit(EXIT.failure));
        sluice.drain().then(resolve, (error: unknown) => {
          log.error('drain failed', { error });
          resolve();
        });
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    log.info('stopped');
    return EXIT.ok;
  },
};
