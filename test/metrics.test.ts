/**
 * Metrics a real Prometheus scrapes (issue #13). On the first round's main `/metrics` had six
 * hand-written families — no latency or first-token histograms, no model, upstream or key labels,
 * no tokens, cost, failovers or errors by upstream, no process metrics — and it was public: the
 * compose nginx published it on port 80.
 *
 * Debian's Prometheus scrapes a Sluice that asks for a token, and the first-token histogram is
 * read back through Prometheus's HTTP API after streams whose first token the fake upstream held
 * until the test, having seen the first byte, had waited HOLD_MS: every first token at HOLD_MS
 * or later, every first byte before its token by at least HOLD_MS — cause and effect, no bound
 * on how fast Sluice is. The rest is read from `/metrics` itself: the token's rules, the separate
 * listener, failures, failovers and refusals from real requests, and nginx keeping it private.
 * Last, the benchmark's two Sluices (bench/targets.ts): one scraped, one with no metrics at all,
 * so that what `npm run bench` reports as the cost of metrics is that.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import type { LoadJob, LoadResult } from '../bench/loadgen.ts';
import { startChild } from '../bench/processes.ts';
import { renderTable, type RunRecord, summarize } from '../bench/report.ts';
import type { Point } from '../bench/run.ts';
import {
  METRICS_TOKEN as BENCH_METRICS_TOKEN,
  startTarget,
  startUpstream,
  type Target,
  type Upstream as BenchUpstream,
} from '../bench/targets.ts';
import { parseAddress, renderNginxSite } from '../src/deploy/index.ts';
import { formatEvent } from '../src/sse/index.ts';
import { LATENCY_BUCKETS_SECONDS } from '../src/telemetry/index.ts';
import {
  deferred,
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { startNginx } from './support/nginx.ts';
import { type Sample, startPrometheus, type TestPrometheus } from './support/prometheus.ts';
import {
  ADMIN_KEY,
  keyFor,
  sluiceFor,
  startTestSluice,
  type TestSluice,
} from './support/sluice.ts';
import { postStream } from './support/sse-client.ts';
import { waitFor } from './support/wait.ts';
import { benchUser } from '../bench/bench-request.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
const BENCH_LOADGEN = fileURLToPath(new URL('../bench/loadgen.ts', import.meta.url));
const HOLD_MS = 300;
const STREAMS = 3;

const ROLE = formatEvent({
  data: '{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}',
});
const CONTENT = formatEvent({
  data: '{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}',
});
const END =
  formatEvent({ data: '{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}' }) +
  formatEvent({ data: '[DONE]' });

/** One series of the exposition text. */
interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function parseExposition(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[name ?? ''] = (value ?? '').replace(/\\(.)/g, (_, c: string) =>
        c === 'n' ? '\n' : c,
      );
    series.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return series;
}

/** The series of `name` whose labels include `labels`. */
function find(all: readonly Series[], name: string, labels: Record<string, string> = {}): Series[] {
  return all.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The one series of `name` with `labels`, or a failure naming what there is. */
function one(all: readonly Series[], name: string, labels: Record<string, string> = {}): Series {
  const found = find(all, name, labels);
  assert.equal(
    found.length,
    1,
    `one ${name} ${JSON.stringify(labels)}; there are: ${JSON.stringify(find(all, name))}`,
  );
  return found[0]!;
}

async function scrape(url: string, token?: string): Promise<Series[]> {
  const response = await fetch(url, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  return parseExposition(await response.text());
}

/** Sleeps until `performance.now()` has reached `at` (a timer may fire a little early). */
async function until(at: number): Promise<void> {
  while (performance.now() < at) await sleep(Math.max(1, Math.ceil(at - performance.now())));
}

const chat = (url: string, key: string, model: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('a real Prometheus scraping Sluice with the token', () => {
  let upstream: FakeUpstream;
  let sluice: TestSluice;
  let prometheus: TestPrometheus;
  before(async () => {
    upstream = await startFakeUpstream();
    sluice = await sluiceFor(upstream.origin, { SLUICE_METRICS_TOKEN: TOKEN });
    const target = new URL(sluice.url).host;
    prometheus = await startPrometheus([
      { name: 'sluice', target, token: TOKEN },
      { name: 'tokenless', target },
    ]);
  });
  after(async () => {
    await prometheus.stop();
    await sluice.stop();
    await upstream.stop();
  });

  it('reads back first tokens held HOLD_MS after the first byte, in the buckets above it', async () => {
    for (let i = 0; i < STREAMS; i++) {
      const release = deferred();
      upstream.script(async ({ res }) => {
        sseHead(res);
        res.write(ROLE);
        await release.promise;
        res.end(CONTENT + END);
      });
      const stream = await postStream(`${sluice.url}/v1/chat/completions`, {
        model: 'held',
        stream: true,
        messages: [],
      });
      const events = stream.events[Symbol.asyncIterator]();
      // The role chunk, no content: Sluice wrote its first byte before this.
      for (let next = await events.next(); ; next = await events.next()) {
        assert.ok(next.done !== true, 'the role chunk arrives');
        if (next.value.data !== undefined) break;
      }
      await until(performance.now() + HOLD_MS);
      release.resolve();
      while ((await events.next()).done !== true) {
        // the content and the end
      }
    }

    const value = async (expression: string) => (await prometheus.query(expression))[0]?.value;
    const held = '{job="sluice",model="held"}';
    await waitFor(
      async () =>
        (await value(`sluice_time_to_first_token_seconds_count${held}`)) === STREAMS &&
        (await value(`sluice_time_to_first_byte_seconds_count${held}`)) === STREAMS,
      { timeoutMs: 30_000, what: `Prometheus holding ${STREAMS} first tokens and first bytes` },
    );
    const buckets = async (name: string) =>
      new Map(
        (await prometheus.query(`${name}_bucket${held}`)).map((s: Sample) => [
          s.metric.le === '+Inf' ? Infinity : Number(s.metric.le),
          s.value,
        ]),
      );
    const token = await buckets('sluice_time_to_first_token_seconds');
    const byte = await buckets('sluice_time_to_first_byte_seconds');
    assert.deepEqual(
      [...token.keys()].sort((a, b) => a - b),
      [...LATENCY_BUCKETS_SECONDS, Infinity],
    );
    for (const [le, count] of token) {
      if (le < HOLD_MS / 1000) assert.equal(count, 0, `no first token within ${le} s`);
      // Each stream's first byte came before its first token: at every bound, at least as many.
      assert.ok((byte.get(le) ?? -1) >= count, `first bytes ≤ ${le} s: ${byte.get(le)} ≥ ${count}`);
    }
    assert.equal(token.get(Infinity), STREAMS);
    const tokenSum = await value(`sluice_time_to_first_token_seconds_sum${held}`);
    const byteSum = await value(`sluice_time_to_first_byte_seconds_sum${held}`);
    assert.ok(tokenSum !== undefined && byteSum !== undefined);
    // Records keep 0.1 ms.
    assert.ok(tokenSum - byteSum >= (STREAMS * (HOLD_MS - 0.1)) / 1000, `${tokenSum} − ${byteSum}`);
    // Each stream was silent HOLD_MS between its role chunk and its content.
    const gaps = await value(`sluice_inter_event_gap_seconds_count${held}`);
    const short = await value(
      `sluice_inter_event_gap_seconds_bucket{job="sluice",model="held",le="0.25"}`,
    );
    assert.ok(gaps !== undefined && short !== undefined && gaps - short >= STREAMS);
    const requests = await prometheus.query(`sluice_requests_total${held}`);
    assert.deepEqual(
      requests.map((s) => [s.metric.route, s.metric.status, s.metric.end_reason, s.value]),
      [['/v1/chat/completions', '200', 'done', STREAMS]],
    );
  });

  it('also scrapes the process and Node.js metrics', async () => {
    await waitFor(
      async () =>
        (await prometheus.query('process_cpu_user_seconds_total{job="sluice"}')).length === 1 &&
        (await prometheus.query('nodejs_eventloop_lag_seconds{job="sluice"}')).length === 1,
      { timeoutMs: 30_000, what: 'default metrics in Prometheus' },
    );
  });

  it('without the token Prometheus gets 401 and nothing', async () => {
    await waitFor(
      async () =>
        (await prometheus.targets()).some(
          (t) => t.job === 'tokenless' && t.health === 'down' && /401/.test(t.lastError),
        ),
      { timeoutMs: 30_000, what: 'the tokenless target down with a 401' },
    );
    assert.deepEqual(await prometheus.query('sluice_draining{job="tokenless"}'), []);
  });

  it('refuses every other spelling of the token, without a byte of the metrics', async () => {
    const url = `${sluice.url}/metrics`;
    const refused: [string, RequestInit][] = [
      ['no Authorization', {}],
      ['a wrong token', { headers: { authorization: 'Bearer metrics-token-0123456789abcdeX' } }],
      ['the token cut short', { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } }],
      ['the token and more', { headers: { authorization: `Bearer ${TOKEN}x` } }],
      ['lower-case bearer', { headers: { authorization: `bearer ${TOKEN}` } }],
      ['two spaces', { headers: { authorization: `Bearer  ${TOKEN}` } }],
      ['no scheme', { headers: { authorization: TOKEN } }],
      ['Basic', { headers: { authorization: `Basic ${btoa(`prometheus:${TOKEN}`)}` } }],
      ['x-api-key', { headers: { 'x-api-key': TOKEN } }],
      ['the admin key', { headers: { authorization: `Bearer ${ADMIN_KEY}` } }],
      ['a POST', { method: 'POST' }],
      ['a HEAD', { method: 'HEAD' }],
    ];
    for (const [what, init] of refused) {
      const response = await fetch(url, init);
      assert.equal(response.status, 401, what);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="sluice-metrics"', what);
      assert.doesNotMatch(await response.text(), /sluice_|process_/, what);
    }
    for (const query of [
      `token=${TOKEN}`,
      `access_token=${TOKEN}`,
      `authorization=Bearer+${TOKEN}`,
    ]) {
      const response = await fetch(`${url}?${query}`);
      assert.equal(response.status, 401, query);
      await response.body?.cancel();
    }
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const head = await fetch(url, { method: 'HEAD', headers: bearer });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(await head.text(), '');
    const post = await fetch(url, { method: 'POST', headers: bearer });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.doesNotMatch(await post.text(), /sluice_/);
    assert.ok(find(await scrape(url, TOKEN), 'sluice_draining').length === 1);
  });
});

describe('/metrics on its own listener (SLUICE_METRICS_LISTEN)', () => {
  for (const token of [TOKEN, undefined]) {
    it(`${token === undefined ? 'open' : 'with the token'} there, 404 on the main port, closed by the drain`, async () => {
      const sluice = await startTestSluice({
        SLUICE_METRICS_LISTEN: '127.0.0.1:0',
        ...(token === undefined ? {} : { SLUICE_METRICS_TOKEN: token }),
      });
      let stopped = false;
      try {
        const listener = sluice.running.server.metricsUrl;
        assert.ok(listener !== undefined);
        assert.notEqual(listener.port, new URL(sluice.url).port);
        for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }]) {
          const main = await fetch(`${sluice.url}/metrics`, { headers });
          assert.equal(main.status, 404);
          assert.doesNotMatch(await main.text(), /sluice_/);
        }
        if (token !== undefined) {
          const bare = await fetch(listener);
          assert.equal(bare.status, 401);
          assert.doesNotMatch(await bare.text(), /sluice_/);
        }
        const series = await scrape(listener.href, token);
        assert.equal(one(series, 'sluice_draining').value, 0);
        for (const path of ['/', '/healthz', '/v1/models', '/metrics/']) {
          const other: Response = await fetch(new URL(path, listener), {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          assert.equal(other.status, 404, path);
          await other.body?.cancel();
        }
        await sluice.stop();
        stopped = true;
        await assert.rejects(fetch(listener), 'nothing listens after the drain');
      } finally {
        if (!stopped) await sluice.stop();
      }
    });
  }
});

describe('failures, failovers, refusals, tokens and cost, from real requests', () => {
  let dir: string;
  let flaky: FakeUpstream;
  let steady: FakeUpstream;
  let sluice: TestSluice;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-metrics-'));
    flaky = await startFakeUpstream(
      jsonReply(500, { error: { message: 'overloaded', type: 'server_error' } }),
    );
    steady = await startFakeUpstream(
      jsonReply(200, {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4.1-mini',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' },
        ],
        usage: {
          prompt_tokens: 10,
          completion_tokens: 3,
          total_tokens: 13,
          prompt_tokens_details: { cached_tokens: 4 },
          completion_tokens_details: { reasoning_tokens: 1 },
        },
      }),
    );
    const file = join(dir, 'config.json');
    await writeFile(
      file,
      JSON.stringify({
        upstreams: [
          { name: 'flaky', baseUrl: flaky.origin, apiKey: 'sk-flaky' },
          { name: 'steady', baseUrl: steady.origin, apiKey: 'sk-steady' },
        ],
      }),
    );
    sluice = await startTestSluice({ SLUICE_CONFIG: file, SLUICE_METRICS_LABELS: 'key,user' });
  });
  after(async () => {
    await sluice.stop();
    await Promise.all([flaky.stop(), steady.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('counts a 500 failed over, the answer, its tokens and cost, and a limit refusal', async () => {
    const key = await keyFor(sluice, 'ada', { keyLimits: { rpm: 1 } });
    const served = await chat(sluice.url, key, 'gpt-4.1-mini');
    assert.equal(served.status, 200);
    await served.body?.cancel();
    assert.equal(flaky.calls.length, 1, 'tried first');
    assert.equal(steady.calls.length, 1, 'then the next');
    const refused = await chat(sluice.url, key, 'gpt-4.1-mini');
    assert.equal(refused.status, 429);
    await refused.body?.cancel();
    const health = await fetch(`${sluice.url}/healthz`);
    await health.body?.cancel();

    const series = await scrape(`${sluice.url}/metrics`);
    assert.equal(one(series, 'sluice_failovers_total', { upstream: 'flaky' }).value, 1);
    assert.deepEqual(find(series, 'sluice_failovers_total', { upstream: 'steady' }), []);
    assert.equal(
      one(series, 'sluice_upstream_failures_total', { upstream: 'flaky', reason: '500' }).value,
      1,
    );
    assert.deepEqual(find(series, 'sluice_upstream_failures_total', { upstream: 'steady' }), []);
    assert.equal(
      one(series, 'sluice_limit_refusals_total', { reason: 'rate_limit_exceeded' }).value,
      1,
    );
    assert.equal(
      one(series, 'sluice_limit_refusals_total', { reason: 'insufficient_quota' }).value,
      0,
    );

    const answered = one(series, 'sluice_requests_total', { status: '200', user: 'ada' });
    assert.equal(answered.value, 1);
    const { key: prefix, ...labels } = answered.labels;
    assert.ok(
      prefix !== undefined && prefix.length > 0 && key.startsWith(prefix),
      'the key prefix',
    );
    assert.deepEqual(labels, {
      route: '/v1/chat/completions',
      model: 'gpt-4.1-mini',
      upstream: 'steady',
      status: '200',
      end_reason: 'done',
      user: 'ada',
    });
    assert.deepEqual(one(series, 'sluice_requests_total', { status: '429' }).labels, {
      route: '/v1/chat/completions',
      model: 'gpt-4.1-mini',
      upstream: '',
      status: '429',
      end_reason: 'rejected',
      key: prefix,
      user: 'ada',
    });

    const tokens = Object.fromEntries(
      find(series, 'sluice_tokens_total', { model: 'gpt-4.1-mini', key: prefix, user: 'ada' }).map(
        (s): [string, number] => [s.labels.direction ?? '', s.value],
      ),
    );
    assert.deepEqual(tokens, { input: 10, output: 3, cached: 4, reasoning: 1 });
    const cost = one(series, 'sluice_cost_usd_total', { model: 'gpt-4.1-mini', user: 'ada' });
    assert.ok(cost.value > 0);
    assert.equal(
      one(series, 'sluice_request_duration_seconds_count', { upstream: 'steady' }).value,
      1,
    );
    assert.equal(
      one(series, 'sluice_upstream_breaker_state', { upstream: 'flaky', key: '' }).value,
      0,
      'one failure does not open it',
    );
    assert.ok(
      one(series, 'sluice_http_requests_total', { route_class: 'health', code: '200' }).value >= 1,
    );
    assert.ok(
      one(series, 'sluice_http_requests_total', { route_class: 'v1', code: '429' }).value >= 1,
    );
  });

  it('keeps labels bounded: unknown paths are route="other", unseen keys add nothing', async () => {
    for (const path of ['/v1/no/such/route', '/v1/files/file-abc/content', '/v1/%zz']) {
      const response = await fetch(`${sluice.url}${path}`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      await response.body?.cancel();
    }
    const bad = await fetch(`${sluice.url}/v1/models`, {
      headers: { authorization: 'Bearer sk-sluice-not-a-key-at-all' },
    });
    assert.equal(bad.status, 401);
    await bad.body?.cancel();
    const series = await scrape(`${sluice.url}/metrics`);
    const routes = new Set(find(series, 'sluice_requests_total').map((s) => s.labels.route));
    assert.ok(routes.has('other'));
    assert.ok(routes.has('files'));
    assert.ok([...routes].every((r) => r === 'other' || r === 'files' || r?.startsWith('/v1/')));
    assert.ok(![...routes].some((r) => r?.includes('file-abc') || r?.includes('no/such')));
    const refusedKey = one(series, 'sluice_requests_total', { route: '/v1/models', status: '401' });
    assert.equal(refusedKey.labels.key, '');
    assert.equal(refusedKey.labels.user, '');
  });
});

describe('the benchmark measures Sluice with and without metrics', () => {
  // `npm run bench` reports what metrics cost as `sluice` over `sluice-no-metrics`: the second
  // must be the same Sluice with nothing of the metrics left, and the first must be scraped.
  let upstream: BenchUpstream;
  const targets: Target[] = [];
  before(async () => {
    upstream = await startUpstream(0);
    for (const name of ['sluice', 'sluice-no-metrics'] as const)
      targets.push(await startTarget(name, upstream, 0));
  });
  after(async () => {
    for (const target of targets) await target.stop();
    await upstream.child.stop();
  });

  const stream = async (target: Target) => {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { ...target.headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'bench',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
        user: benchUser({ events: 3, intervalMs: 1, pad: 10 }),
      }),
    });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /data: \[DONE\]/);
  };
  const metricsOf = (target: Target) =>
    scrape(new URL('/metrics', target.url).href, BENCH_METRICS_TOKEN);

  it('sluice: metrics on, behind the token, and the load generator scrapes them', async () => {
    const [sluice] = targets;
    assert.ok(sluice?.name === 'sluice' && sluice.scrape !== undefined);
    await stream(sluice);
    const series = await metricsOf(sluice);
    assert.equal(one(series, 'sluice_requests_total', { route: '/v1/chat/completions' }).value, 1);
    assert.ok(find(series, 'process_cpu_seconds_total').length === 1);
    const bare = await fetch(sluice.scrape.url);
    assert.equal(bare.status, 401, 'read as deployed: with SLUICE_METRICS_TOKEN');
    await bare.body?.cancel();

    const job: LoadJob = {
      url: sluice.url,
      headers: sluice.headers,
      concurrency: 2,
      events: 5,
      intervalMs: 100,
      pad: 10,
      rampMs: 0,
      deadlineMs: 20_000,
      scrape: { ...sluice.scrape, everyMs: 200 },
    };
    const child = await startChild(process.execPath, [BENCH_LOADGEN, JSON.stringify(job)], {
      core: 1,
    });
    const result = await child.firstJson<LoadResult>();
    assert.equal(result.complete, 2, result.errors.join(', '));
    assert.ok(result.scrapes !== undefined && result.scrapes.count >= 2, JSON.stringify(result));
    assert.equal(result.scrapes.failed, 0, result.errors.join(', '));
    assert.ok(result.scrapes.bytes > 1000);
  });

  it('sluice-no-metrics: the same Sluice, streaming, with no metrics at all', async () => {
    const [, bare] = targets;
    assert.ok(bare?.name === 'sluice-no-metrics');
    assert.equal(bare.scrape, undefined, 'nothing reads its metrics');
    await stream(bare);
    const response = await fetch(new URL('/metrics', bare.url), {
      headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` },
    });
    assert.equal(response.status, 200);
    assert.equal((await response.text()).trim(), '', 'no family, not even the default ones');
  });
});

describe('what the benchmark reports as the cost of metrics', () => {
  const point: Point = { concurrency: 1000, events: 10, intervalMs: 100, reps: 3 };
  const record = (
    target: RunRecord['target'],
    rep: number,
    cpuS: number,
    p50: number,
    kib: number,
  ): RunRecord => ({
    point,
    rep,
    target,
    load: {
      streams: 1000,
      complete: 1000,
      failed: 0,
      lostEvents: 0,
      events: 10_000,
      delayMs: { p50, p99: p50 * 10, max: p50 * 20 },
      ttfbMs: { p50: 1, p99: 2 },
      harnessCpuS: 1,
      wallS: 10,
      errors: [],
      ...(target === 'sluice' ? { scrapes: { count: 4, failed: 0, bytes: 20_000 } } : {}),
    },
    cpuS,
    idleKiB: 50_000,
    peakKiB: 50_000 + kib * 1000,
  });

  it('compares with and without repetition by repetition: ratios, differences, their medians', () => {
    const records = [
      record('direct', 0, 0, 0.1, 0),
      record('sluice', 0, 1.1, 0.3, 40),
      record('sluice-no-metrics', 0, 1.0, 0.2, 40),
      // A slower machine in the second repetition slows both alike: the ratio holds.
      record('sluice', 1, 2.4, 0.5, 44),
      record('sluice-no-metrics', 1, 2.0, 0.5, 40),
      record('sluice', 2, 1.0, 0.25, 36),
      record('sluice-no-metrics', 2, 1.0, 0.3, 40),
    ];
    const summary = summarize(point, records);
    assert.deepEqual(summary.metrics, {
      pairs: 3,
      cpuOn: 0.11,
      cpuOff: 0.1,
      cpuRatio: 1.1,
      cpuRatioMin: 1,
      cpuRatioMax: 1.2,
      delayP50Ms: 0,
      delayP99Ms: 0,
      ttfbP50Ms: 0,
      memoryRatio: 1,
      scrapes: 12,
      scrapeFailures: 0,
    });
    const table = renderTable([summary], {
      date: '2026-12-02',
      machine: 'test',
      pinning: 'none',
      quick: true,
    });
    assert.match(table, /## What metrics cost/);
    assert.match(table, /\| 1000 \| \*\*1\.1 ×\*\* \(1–1\.2, 3 pairs\) \| 0\.11 \/ 0\.1 \|/);
  });

  it('says nothing of it when one of the two did not run', () => {
    const summary = summarize(point, [record('sluice', 0, 1, 0.3, 40)]);
    assert.equal(summary.metrics, undefined);
    assert.doesNotMatch(
      renderTable([summary], { date: 'd', machine: 'm', pinning: 'p', quick: true }),
      /What metrics cost/,
    );
  });
});

describe('nginx never publishes /metrics', () => {
  it('the generated config answers 404 to /metrics however it is spelled, and passes the rest', async () => {
    const sluice = await startTestSluice();
    const nginx = await startNginx({
      serverBlock: renderNginxSite({
        listen: { host: '127.0.0.1', port: '{{PORT}}' },
        upstreams: [parseAddress(`127.0.0.1:${new URL(sluice.url).port}`, '--upstream', true)],
      }),
    });
    try {
      assert.equal((await rawGet(sluice.url, '/metrics')).status, 200, 'Sluice serves it');
      const health = await rawGet(nginx.url, '/healthz');
      assert.equal(health.status, 200, 'nginx passes the rest');
      for (const path of [
        '/metrics',
        '//metrics',
        '/%6Detrics',
        '/%6d%65trics',
        '/./metrics',
        '/v1/../metrics',
        '/metrics?format=prometheus',
      ]) {
        const { status, body } = await rawGet(nginx.url, path);
        assert.equal(status, 404, path);
        assert.doesNotMatch(body, /sluice_|process_/, path);
      }
    } finally {
      await nginx.stop();
      await sluice.stop();
    }
  });

  it('compose publishes only nginx, and Kubernetes serves /metrics on a port the Service lacks', async () => {
    const read = (path: string) => readFile(new URL(`../${path}`, import.meta.url), 'utf8');
    const compose = parse(await read('compose.yaml')) as {
      services: Record<string, { ports?: string[] }>;
    };
    assert.equal(compose.services.sluice?.ports, undefined);
    assert.match(await read('deploy/nginx/nginx.conf'), /location = \/metrics \{\s+return 404;/);
    const k8s = await Promise.all(
      ['deployment.yaml', 'service.yaml'].map(async (f) =>
        parseAllDocuments(await read(`deploy/k8s/${f}`)).map((d) => d.toJS() as K8sDoc),
      ),
    );
    const deployment = k8s.flat().find((d) => d.kind === 'Deployment');
    const service = k8s.flat().find((d) => d.kind === 'Service');
    const container = deployment?.spec.template?.spec.containers[0];
    const listen = container?.env.find((e) => e.name === 'SLUICE_METRICS_LISTEN')?.value;
    const metricsPort = container?.ports.find((p) => p.name === 'metrics')?.containerPort;
    assert.equal(listen, `0.0.0.0:${String(metricsPort)}`);
    assert.deepEqual(
      service?.spec.ports?.map((p) => p.targetPort),
      ['http'],
      'the Service (and the Ingress behind it) reaches only the http port',
    );
  });
});

interface K8sDoc {
  kind: string;
  spec: {
    template?: {
      spec: {
        containers: {
          env: { name: string; value?: string }[];
          ports: { name: string; containerPort: number }[];
        }[];
      };
    };
    ports?: { targetPort: string }[];
  };
}

/** A GET with the path sent exactly as given (fetch would normalise it). */
function rawGet(origin: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
