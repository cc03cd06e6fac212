/**
 * A real Prometheus (Debian's) on loopback, with its own config and TSDB in a scratch dir,
 * scraping the targets a test names every second; read back through its HTTP API.
 */
import { writeFile } from 'node:fs/promises';
import { startInScratchDir } from './service.ts';
import { waitFor } from './wait.ts';

const PROMETHEUS = '/usr/bin/prometheus';

export interface ScrapeJob {
  readonly name: string;
  /** `127.0.0.1:PORT` */
  readonly target: string;
  /** Sent as `Authorization: Bearer …` (`authorization: { credentials }`). */
  readonly token?: string;
}

/** One series of an instant vector: its labels and its value. */
export interface Sample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface TargetHealth {
  readonly job: string;
  readonly health: string;
  readonly lastError: string;
}

export interface TestPrometheus {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `/api/v1/query` at the latest time. */
  query(expression: string): Promise<Sample[]>;
  /** `/api/v1/targets`: each job's target, as of its last scrape. */
  targets(): Promise<TargetHealth[]>;
  stop(): Promise<void>;
  output(): string;
}

export async function startPrometheus(jobs: readonly ScrapeJob[]): Promise<TestPrometheus> {
  const service = await startInScratchDir('prometheus', async (dir, port) => {
    await writeFile(dir.file('prometheus.yml'), config(jobs));
    return {
      cmd: PROMETHEUS,
      args: [
        `--config.file=${dir.file('prometheus.yml')}`,
        `--storage.tsdb.path=${dir.file('data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      options: { name: 'prometheus', debianPackage: 'prometheus', readyTimeoutMs: 30_000 },
    };
  });
  const api = async (path: string): Promise<unknown> => {
    const response = await fetch(`${service.url}${path}`);
    const body = (await response.json()) as { status: string; data?: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? ''}`);
    return body.data;
  };
  try {
    // The port opens before the TSDB is loaded; /-/ready says when queries are served.
    await waitFor(
      async () => (await fetch(`${service.url}/-/ready`).catch(() => undefined))?.ok === true,
      { timeoutMs: 30_000, what: 'prometheus /-/ready' },
    );
  } catch (error) {
    await service.stop();
    throw new Error(`prometheus did not become ready:\n${service.output()}`, { cause: error });
  }
  return {
    url: service.url,
    async query(expression) {
      const data = (await api(`/api/v1/query?query=${encodeURIComponent(expression)}`)) as {
        result: { metric: Record<string, string>; value: [number, string] }[];
      };
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const data = (await api('/api/v1/targets?state=active')) as {
        activeTargets: { labels: Record<string, string>; health: string; lastError: string }[];
      };
      return data.activeTargets.map((t) => ({
        job: t.labels.job ?? '',
        health: t.health,
        lastError: t.lastError,
      }));
    },
    stop: service.stop,
    output: service.output,
  };
}

/** Every second, so that a test waits seconds, not the default minute. */
function config(jobs: readonly ScrapeJob[]): string {
  const blocks = jobs.map(
    (job) => `  - job_name: ${JSON.stringify(job.name)}
    static_configs:
      - targets: [${JSON.stringify(job.target)}]
${job.token === undefined ? '' : `    authorization:\n      credentials: ${JSON.stringify(job.token)}\n`}`,
  );
  return `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
${blocks.join('')}`;
}
