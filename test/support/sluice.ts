/** Starts a real Sluice in-process, on a free port, with a given environment and its own data dir. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounts, type RouteScope } from '../../src/accounts/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { type RunningSluice, startSluice } from '../../src/server/index.ts';
import { type Limits, NO_LIMITS } from '../../src/store/index.ts';

export const ADMIN_KEY = 'sk-sluice-test-admin-key-0123456789abcdef';
export const UPSTREAM_KEY = 'sk-upstream-secret';

export interface TestSluice {
  readonly url: string;
  /** `${url}/v1`, for SDK base URLs. */
  readonly baseURL: string;
  readonly logs: Record<string, unknown>[];
  readonly running: RunningSluice;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** Demo model pacing: fast by default, so tests that stream it finish quickly. */
const FAST_DEMO = { tokenMs: 1, firstTokenMs: 1 };

export async function startTestSluice(
  env: Record<string, string> = {},
  demo: { readonly tokenMs: number; readonly firstTokenMs: number } = FAST_DEMO,
): Promise<TestSluice> {
  const dataDir = env.SLUICE_DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'sluice-data-')));
  const config = loadConfig({
    env: {
      SLUICE_ADMIN_KEY: ADMIN_KEY,
      PORT: '0',
      SLUICE_LOG_LEVEL: 'debug',
      SLUICE_DATA_DIR: dataDir,
      ...env,
    },
  });
  const logs: Record<string, unknown>[] = [];
  const log = createLogger(config.logLevel, {
    sink: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const running = await startSluice(config, { log, demo });
  const url = running.url.href.replace(/\/$/, '');
  return {
    url,
    baseURL: `${url}/v1`,
    logs,
    running,
    dataDir,
    stop: async () => {
      await running.drain(0);
      if (env.SLUICE_DATA_DIR === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Sluice in front of a fake upstream at `origin`, for both API families. */
export function sluiceFor(origin: string, env: Record<string, string> = {}): Promise<TestSluice> {
  return startTestSluice({
    BASE_URL: origin,
    OPENAI_API_KEY: UPSTREAM_KEY,
    ANTHROPIC_BASE_URL: origin,
    ANTHROPIC_API_KEY: UPSTREAM_KEY,
    ...env,
  });
}

/** A user (created if new) and a fresh key for it on a running test Sluice; returns the secret. */
export async function keyFor(
  sluice: TestSluice,
  username: string,
  options: {
    readonly keyLimits?: Partial<Limits>;
    readonly userLimits?: Partial<Limits>;
    readonly models?: string[];
    /** Route scopes granted to the key (`sluice keys create --routes`). */
    readonly routes?: RouteScope[];
  } = {},
): Promise<string> {
  const accounts = new Accounts(sluice.running.store, { key: NO_LIMITS, user: NO_LIMITS });
  const existing = await sluice.running.store.findUserByName(username);
  if (existing === undefined) {
    await accounts.addUser({
      username,
      password: 'correct horse battery staple',
      limits: { ...NO_LIMITS, ...options.userLimits },
    });
  } else if (options.userLimits !== undefined) {
    await accounts.setLimits(username, { ...NO_LIMITS, ...options.userLimits });
  }
  const created = await accounts.createKey({
    username,
    limits: { ...NO_LIMITS, ...options.keyLimits },
    ...(options.models === undefined ? {} : { models: options.models }),
    ...(options.routes === undefined ? {} : { routes: options.routes }),
  });
  return created.secret;
}
