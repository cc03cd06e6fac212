/** Composes one running Sluice from a `Config`: the only place where the parts meet. */
import { AdminKeyAuthenticator, type Authenticator } from '../accounts/index.ts';
import type { ApiFamily, Config } from '../config/index.ts';
import { Gateway } from '../gateway/index.ts';
import type { Logger } from '../log/index.ts';
import { Probe } from '../probe/index.ts';
import {
  buildUpstreams,
  type DemoOptions,
  type DemoUpstream,
  demoUpstreams,
  Dispatchers,
  startDemoUpstream,
} from '../upstream/index.ts';
import { SluiceServer } from './server.ts';

export interface RunningSluice {
  readonly url: URL;
  readonly server: SluiceServer;
  /** SIGTERM behaviour: stop accepting, let streams finish up to the deadline, release everything. */
  drain(deadlineMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly log: Logger;
  readonly authenticator?: Authenticator;
  /** Pacing of the demo model (tests make it fast). */
  readonly demo?: DemoOptions;
}

export async function startSluice(
  config: Config,
  { log, authenticator, demo: demoOptions }: StartOptions,
): Promise<RunningSluice> {
  const dispatchers = new Dispatchers(config.timeouts);
  const upstreams = buildUpstreams(config, dispatchers);
  const missing = (['openai', 'anthropic'] as const).filter(
    (f) => !upstreams.some((u) => u.family === f),
  );
  let demo: DemoUpstream | undefined;
  if (missing.length > 0) {
    demo = await startDemoUpstream(demoOptions);
    upstreams.push(...demoUpstreams(missing, demo.origin, dispatchers));
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
    });
  }
  if (config.adminKey === undefined) {
    log.warn('no SLUICE_ADMIN_KEY set: /v1 accepts no key until one is configured');
  }

  const shutdown = new AbortController();
  const gateway = new Gateway({ config, upstreams, log, shutdown: shutdown.signal });
  const probe = new Probe({
    keepaliveMs: config.keepaliveMs,
    signal: shutdown.signal,
    maxConcurrent: 16,
  });
  const server = new SluiceServer({
    gateway,
    authenticator: authenticator ?? new AdminKeyAuthenticator(config.adminKey),
    probe,
    log,
    shutdown,
    info: { demo: missing.length > 0 ? missing : false },
  });
  const url = await server.listen(config.port, config.host);
  log.info('listening', { url: url.href });

  return {
    url,
    server,
    async drain(deadlineMs = config.drainMs) {
      await server.drain(deadlineMs);
      await dispatchers.close();
      await demo?.close();
    },
  };
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
