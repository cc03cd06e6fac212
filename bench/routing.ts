/**
 * How should Sluice spread requests over upstreams of one priority? A seeded simulation of LLM
 * traffic — Poisson arrivals, answers whose lengths vary a hundredfold (log-normal), upstreams
 * with their own first-token time, token rate and, for self-hosted servers, a number of slots
 * beyond which requests queue — run through Sluice's own chooser (`AttemptPlan`: fewest
 * requests in flight per unit of weight, ties by smooth weighted round-robin; nginx
 * `least_conn`, Envoy `LEAST_REQUEST`, LiteLLM `least-busy`) and two alternatives:
 *
 * - weighted round-robin alone (what Sluice did before this measurement; Portkey's and
 *   new-api's weighted choice is the random form of it);
 * - fastest first token: lowest moving average of observed time to first token (LiteLLM
 *   `latency-based-routing`).
 *
 * It reports, per scenario, the mean and p99 time to first token (queueing included) and each
 * upstream's share of requests. A model, not a measurement of real providers: its parameters
 * are printed with the results, and the point is how the strategies differ under the same load.
 *
 *   node bench/routing.ts [--requests 20000] [--seed 1]
 */
import { parseArgs } from 'node:util';
import { DEFAULT_BREAKER, Health } from '../src/upstream/health.ts';
import { AttemptPlan } from '../src/upstream/plan.ts';
import type { Upstream } from '../src/upstream/upstreams.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
  },
});
const REQUESTS = Math.min(200_000, Math.max(1000, Number(values.requests) || 20_000));
const SEED = Number(values.seed) || 1;

interface Server {
  readonly name: string;
  readonly weight: number;
  /** Seconds to the first token once a slot is free. */
  readonly ttft: number;
  readonly tokensPerSecond: number;
  /** Requests served at once; the rest queue (Infinity: a cloud API). */
  readonly slots: number;
}

interface Scenario {
  readonly name: string;
  readonly servers: readonly Server[];
  /** Requests per second arriving. */
  readonly rate: number;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'two cloud APIs, one twice as slow to first token',
    rate: 20,
    servers: [
      { name: 'fast', weight: 1, ttft: 0.4, tokensPerSecond: 80, slots: Infinity },
      { name: 'slow', weight: 1, ttft: 0.8, tokensPerSecond: 80, slots: Infinity },
    ],
  },
  {
    // Capacity: 32 slots / (0.15 s + 457 tokens / 60) ≈ 4.1/s and 32 / 15.5 s ≈ 2.1/s.
    name: 'two self-hosted servers (32 slots), one half the speed, at 75 % of their capacity',
    rate: 4.6,
    servers: [
      { name: 'fast', weight: 1, ttft: 0.15, tokensPerSecond: 60, slots: 32 },
      { name: 'slow', weight: 1, ttft: 0.3, tokensPerSecond: 30, slots: 32 },
    ],
  },
  {
    name: 'weights 3:1 (a quota the operator bought), equal servers',
    rate: 20,
    servers: [
      { name: 'big-quota', weight: 3, ttft: 0.5, tokensPerSecond: 80, slots: Infinity },
      { name: 'small-quota', weight: 1, ttft: 0.5, tokensPerSecond: 80, slots: Infinity },
    ],
  },
];

type Strategy = 'least in flight (Sluice)' | 'weighted round-robin' | 'fastest first token';
const STRATEGIES: readonly Strategy[] = [
  'least in flight (Sluice)',
  'weighted round-robin',
  'fastest first token',
];

/** mulberry32: small, seeded, good enough for a simulation. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Job {
  readonly arrival: number;
  /** Output tokens: log-normal, median 250, a long tail. */
  readonly tokens: number;
}

function workload(rate: number, rand: () => number): Job[] {
  const jobs: Job[] = [];
  let t = 0;
  for (let i = 0; i < REQUESTS; i++) {
    t += -Math.log(1 - rand()) / rate;
    const normal = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    jobs.push({ arrival: t, tokens: Math.max(1, Math.round(250 * Math.exp(1.1 * normal))) });
  }
  return jobs;
}

/** A server's state: when each request it holds ends, and its queue. */
class Model {
  readonly server: Server;
  readonly upstream: Upstream;
  /** End times of requests in slots. */
  running: number[] = [];
  /** Requests waiting for a slot: their arrival and length. */
  queue: Job[] = [];
  ttftAverage: number;

  constructor(server: Server) {
    this.server = server;
    this.ttftAverage = server.ttft;
    const health = new Health({ ...DEFAULT_BREAKER, now: () => 0 });
    this.upstream = {
      name: server.name,
      family: 'openai',
      origin: 'http://model.invalid',
      basePath: '/v1',
      dispatcher: undefined as never,
      proxied: false,
      headers: {},
      defaultHeaders: {},
      keys: [{ id: server.name, headers: {}, health }],
      models: undefined,
      aliases: {},
      priority: 0,
      weight: server.weight,
      azure: undefined,
      vertexClaude: false,
      bedrock: undefined,
      servesResponses: true,
      endUsers: false,
      health,
      turn: { current: 0, key: 0 },
      load: { inFlight: 0 },
      demo: false,
    };
  }

  get inFlight(): number {
    return this.running.length + this.queue.length;
  }
}

function simulate(
  scenario: Scenario,
  strategy: Strategy,
): { ttfts: number[]; shares: Map<string, number> } {
  const models = scenario.servers.map((s) => new Model(s));
  const byUpstream = new Map(models.map((m) => [m.upstream, m]));
  const ttfts: number[] = [];
  const shares = new Map(models.map((m) => [m.server.name, 0]));
  /** Advances a model to time `now`: finished requests leave, queued ones take their slots. */
  const advance = (m: Model, now: number) => {
    for (;;) {
      m.running.sort((a, b) => a - b);
      const next = m.running[0];
      if (next === undefined || next > now) return;
      m.running.shift();
      const waiting = m.queue.shift();
      if (waiting !== undefined) start(m, waiting, next);
    }
  };
  const start = (m: Model, job: Job, at: number) => {
    const ttft = at - job.arrival + m.server.ttft;
    ttfts.push(ttft);
    m.ttftAverage = 0.9 * m.ttftAverage + 0.1 * ttft;
    m.running.push(at + m.server.ttft + job.tokens / m.server.tokensPerSecond);
  };
  for (const job of workload(scenario.rate, random(SEED))) {
    for (const m of models) advance(m, job.arrival);
    let chosen: Model;
    if (strategy === 'least in flight (Sluice)') {
      for (const m of models) m.upstream.load.inFlight = m.inFlight;
      const attempt = new AttemptPlan(models.map((m) => m.upstream)).next();
      chosen = byUpstream.get(attempt?.upstream as Upstream) as Model;
    } else if (strategy === 'weighted round-robin') {
      // Smooth weighted round-robin, as AttemptPlan with nothing in flight.
      for (const m of models) m.upstream.load.inFlight = 0;
      const attempt = new AttemptPlan(models.map((m) => m.upstream)).next();
      chosen = byUpstream.get(attempt?.upstream as Upstream) as Model;
    } else {
      chosen = models.reduce((a, b) => (b.ttftAverage < a.ttftAverage ? b : a));
    }
    shares.set(chosen.server.name, (shares.get(chosen.server.name) ?? 0) + 1);
    if (chosen.running.length < chosen.server.slots) start(chosen, job, job.arrival);
    else chosen.queue.push(job);
  }
  return { ttfts, shares };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

process.stdout.write(
  `Routing within one priority: ${REQUESTS} requests per run, seed ${SEED}, answer lengths ` +
    'log-normal (median 250 tokens, σ 1.1).\n',
);
for (const scenario of SCENARIOS) {
  process.stdout.write(`\n${scenario.name} — ${scenario.rate} requests/s\n`);
  for (const s of scenario.servers)
    process.stdout.write(
      `  ${s.name}: weight ${s.weight}, first token ${s.ttft} s, ${s.tokensPerSecond} tokens/s, ` +
        `${Number.isFinite(s.slots) ? `${s.slots} slots` : 'no queue'}\n`,
    );
  process.stdout.write('  strategy                        mean TTFT  p99 TTFT  shares\n');
  for (const strategy of STRATEGIES) {
    const { ttfts, shares } = simulate(scenario, strategy);
    const sorted = [...ttfts].sort((a, b) => a - b);
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    const share = [...shares]
      .map(([name, n]) => `${name} ${((100 * n) / REQUESTS).toFixed(0)} %`)
      .join(', ');
    process.stdout.write(
      `  ${strategy.padEnd(30)}  ${mean.toFixed(2).padStart(7)} s  ${percentile(sorted, 99)
        .toFixed(2)
        .padStart(6)} s  ${share}\n`,
    );
  }
}
