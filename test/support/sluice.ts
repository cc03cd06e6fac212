/** Starts a real Sluice in-process, on a free port, with a given environment. */
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/log/index.ts';
import { startSluice } from '../../src/server/index.ts';

export const ADMIN_KEY = 'sk-sluice-test-admin-key';
export const UPSTREAM_KEY = 'sk-upstream-secret';

export interface TestSluice {
  readonly url: string;
  /** `${url}/v1`, for SDK base URLs. */
  readonly baseURL: string;
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function startTestSluice(env: Record<string, string> = {}): Promise<TestSluice> {
  const config = loadConfig({
    env: { SLUICE_ADMIN_KEY: ADMIN_KEY, PORT: '0', SLUICE_LOG_LEVEL: 'debug', ...env },
  });
  const logs: Record<string, unknown>[] = [];
  const log = createLogger(config.logLevel, {
    write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>),
  });
  const sluice = await startSluice(config, { log, demo: { tokenMs: 1, firstTokenMs: 1 } });
  const url = sluice.url.href.replace(/\/$/, '');
  return { url, baseURL: `${url}/v1`, logs, stop: () => sluice.drain(0) };
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
