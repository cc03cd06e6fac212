/**
 * The benchmark's client: opens `concurrency` streaming chat requests, spread over `rampMs`
 * (each slot running `rounds` streams one after another), and records for every event how long after its send time it arrived (both on the shared
 * monotonic clock), for every request its time to first byte, and whether it was complete.
 * With a `scrape`, it also reads the target's metrics, as Prometheus would, while the streams
 * run. Started as a child process with its job as JSON in argv[2]; prints its findings as JSON.
 */
import { Agent, type ClientRequest, type IncomingMessage, request } from 'node:http';
import { percentile } from './stats.ts';
import { benchUser } from './bench-request.ts';

export interface LoadJob {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly concurrency: number;
  /** Streams each slot runs back to back (on a kept-alive connection); default 1. */
  readonly rounds?: number;
  readonly events: number;
  readonly intervalMs: number;
  readonly pad: number;
  readonly rampMs: number;
  /** Streams not finished by then count as failed. */
  readonly deadlineMs: number;
  /** Read `url` (GET) at the start and then every `everyMs` until the last stream ends. */
  readonly scrape?: {
    readonly url: string;
    readonly headers: Record<string, string>;
    readonly everyMs: number;
  };
}

export interface ScrapeResult {
  /** Scrapes answered 200 with a body read to its end. */
  readonly count: number;
  readonly failed: number;
  /** Size of the last exposition read. */
  readonly bytes: number;
}

export interface LoadResult {
  readonly streams: number;
  readonly complete: number;
  readonly failed: number;
  readonly lostEvents: number;
  readonly events: number;
  readonly delayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly ttfbMs: { readonly p50: number; readonly p99: number };
  /** The generator's own CPU seconds and wall seconds: a saturated harness shows here. */
  readonly harnessCpuS: number;
  readonly wallS: number;
  readonly errors: readonly string[];
  /** Present when the job asked for scrapes. */
  readonly scrapes?: ScrapeResult;
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const rounds = job.rounds ?? 1;
  const delays = new Float64Array(job.concurrency * rounds * job.events);
  const ttfbs: number[] = [];
  let recorded = 0;
  let complete = 0;
  let failed = 0;
  let lostEvents = 0;
  const errors = new Set<string>();
  const request_ = (events: number, intervalMs: number) =>
    JSON.stringify({
      model: 'bench',
      stream: true,
      messages: [{ role: 'user', content: 'benchmark' }],
      user: benchUser({ events, intervalMs, pad: job.pad }),
    });
  const body = request_(job.events, job.intervalMs);
  const target = new URL(job.url);
  await warmUp(target, job.headers, request_(2, 0), agent);
  const cpu = process.cpuUsage();
  const wall = performance.now();

  const one = () =>
    new Promise<void>((resolve) => {
      const started = nowUs();
      let carry = '';
      let events = 0;
      let done = false;
      let first = true;
      let settled = false;
      const finish = (ok: boolean, why?: string) => {
        if (settled) return;
        settled = true;
        if (ok && events === job.events && done) complete++;
        else {
          failed++;
          lostEvents += Math.max(0, job.events - events);
          if (why !== undefined) errors.add(why);
        }
        resolve();
      };
      const req = post(target, agent, job.headers, body, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          finish(false, `HTTP ${res.statusCode ?? 0}`);
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          const arrived = nowUs();
          if (first) {
            first = false;
            ttfbs.push((arrived - started) / 1000);
          }
          carry += text;
          const end = carry.lastIndexOf('\n\n');
          if (end === -1) return;
          const blocks = carry.slice(0, end);
          carry = carry.slice(end + 2);
          for (let at = blocks.indexOf('"t":'); at !== -1; at = blocks.indexOf('"t":', at + 4)) {
            const sent = Number.parseInt(blocks.slice(at + 4, at + 24), 10);
            if (recorded < delays.length) delays[recorded++] = (arrived - sent) / 1000;
            events++;
          }
          if (blocks.includes('data: [DONE]')) done = true;
        });
        res.on('end', () => {
          finish(true);
        });
        res.on('error', (error) => {
          finish(false, error.message);
        });
        res.on('close', () => {
          finish(false, 'connection closed mid-stream');
        });
      });
      req.on('error', (error) => {
        finish(false, error.message);
      });
      req.setTimeout(job.deadlineMs, () => req.destroy(new Error('deadline')));
    });

  const slot = async () => {
    for (let r = 0; r < rounds; r++) await one();
  };
  const scraper = job.scrape === undefined ? undefined : startScraper(job.scrape, errors);
  const pending: Promise<void>[] = [];
  for (let i = 0; i < job.concurrency; i++) {
    const at = (i * job.rampMs) / job.concurrency;
    pending.push(new Promise<void>((resolve) => setTimeout(resolve, at)).then(slot));
  }
  await Promise.all(pending);
  const scrapes = await scraper?.stop();
  agent.destroy();
  const used = process.cpuUsage(cpu);
  const sample = delays.subarray(0, recorded);
  return {
    streams: job.concurrency * rounds,
    complete,
    failed,
    lostEvents,
    events: recorded,
    delayMs: {
      p50: percentile(sample, 50),
      p99: percentile(sample, 99),
      max: percentile(sample, 100),
    },
    ttfbMs: { p50: percentile(ttfbs, 50), p99: percentile(ttfbs, 99) },
    harnessCpuS: (used.user + used.system) / 1e6,
    wallS: (performance.now() - wall) / 1000,
    errors: [...errors].slice(0, 5),
    ...(scrapes === undefined ? {} : { scrapes }),
  };
}

/**
 * How long a scrape may take before it counts as failed: Prometheus's own default
 * `scrape_timeout`. (It was ten intervals: 500 ms in a test scraping every 50 ms, which a
 * loaded machine exceeded — a failed scrape where Prometheus would have waited.)
 */
const SCRAPE_TIMEOUT_MS = 10_000;

/**
 * Reads the metrics at once and then every `everyMs`, one scrape at a time (a slow one delays
 * the next, as in Prometheus); `stop` waits for the one under way.
 */
function startScraper(
  { url, headers, everyMs }: NonNullable<LoadJob['scrape']>,
  errors: Set<string>,
): { stop(): Promise<ScrapeResult> } {
  let count = 0;
  let failed = 0;
  let bytes = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const scrape = async () => {
    try {
      const response = await fetch(url, {
        headers,
        signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      count++;
      bytes = Buffer.byteLength(text);
    } catch (error) {
      failed++;
      errors.add(`scrape: ${(error as Error).message}`);
    }
  };
  const next = () => {
    current = scrape().then(() => {
      if (!stopped) timer = setTimeout(next, everyMs);
    });
  };
  next();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
      return { count, failed, bytes };
    },
  };
}

/** A POST of `body` as JSON to `target`; `onResponse` gets the response. */
function post(
  target: URL,
  agent: Agent,
  headers: Record<string, string>,
  body: string,
  onResponse: (res: IncomingMessage) => void,
): ClientRequest {
  const req = request(
    {
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      agent,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    },
    onResponse,
  );
  req.end(body);
  return req;
}

/** One small request, read to its end and not counted: the generator's code paths compile. */
function warmUp(
  target: URL,
  headers: Record<string, string>,
  body: string,
  agent: Agent,
): Promise<void> {
  return new Promise((resolve, reject) => {
    post(target, agent, headers, body, (res) => {
      res.resume().on('end', resolve).on('error', reject);
    }).on('error', reject);
  });
}

if (process.argv[2] !== undefined && import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const result = await runLoad(JSON.parse(process.argv[2]) as LoadJob);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
