/**
 * `sluice doctor --chain URL1,URL2,…` through real hops from Debian: each point measured in one
 * command, outermost first, and the first hop where the problem appears named — even a hop that
 * names itself nowhere (issue 15: finding a silent HAProxy behind nginx took two manual
 * `--compare` runs). Points run one after another, as the doctor does, so timings do not mix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHaproxy, type TestHaproxy } from './support/intermediaries/haproxy.ts';
import { probeArgs, runDoctor } from './support/intermediaries/doctor-run.ts';
import { proxyServerBlock, startNginx, type TestNginx } from './support/nginx.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';

const HEALTHY_NGINX = [
  'proxy_buffering off;',
  'proxy_http_version 1.1;',
  'proxy_set_header Connection "";',
  'gzip off;',
  'proxy_read_timeout 3600s;',
];
const SILENCE = probeArgs({ events: 3, intervalMs: 50, pad: 0, silenceMs: 4500 });
const PROBE = probeArgs({ events: 30, intervalMs: 50, pad: 512, silenceMs: 0 });

interface ChainJson {
  readonly verdict: string;
  readonly chain: {
    readonly summary: string;
    readonly culprit: {
      readonly index: number;
      readonly url: string;
      readonly name: string;
      readonly cause: {
        readonly id: string;
        readonly suspected: boolean;
        readonly suspect: string | null;
        readonly fixes: readonly { hop: string; snippet: string | null }[];
      };
    } | null;
    readonly runs: readonly { url: string; verdict: string }[];
  };
}

let sluice: TestSluice;
let haproxy: TestHaproxy;
const started: { stop(): Promise<void> }[] = [];
before(async () => {
  sluice = await startTestSluice({ SLUICE_LOG_LEVEL: 'warn' });
});
after(async () => {
  for (const hop of started.reverse()) await hop.stop();
  await sluice.stop();
});

async function nginxTo(port: number, directives: readonly string[]): Promise<TestNginx> {
  const nginx = await startNginx({
    serverBlock: proxyServerBlock({ upstreamPort: port, locationExtra: directives.join('\n') }),
  });
  started.push(nginx);
  return nginx;
}

async function chain(urls: readonly string[], args: readonly string[]) {
  const run = await runDoctor(['--chain', urls.join(','), '--json', ...args]);
  assert.ok(run.json, `doctor printed JSON:\n${run.stdout}\n${run.stderr}`);
  return { code: run.code, json: run.json as unknown as ChainJson, timelines: run.timelines };
}

describe('--chain through real hops', () => {
  before(async () => {
    haproxy = await startHaproxy({
      upstreamPort: Number(new URL(sluice.url).port),
      defaults: 'timeout server 3s\noption http-no-delay',
    });
    started.push(haproxy);
  });

  it('nginx → HAProxy (timeout server 3s) → Sluice: the cut first appears at HAProxy, not nginx', async () => {
    const nginx = await nginxTo(haproxy.port, HEALTHY_NGINX);
    const { code, json, timelines } = await chain([nginx.url, haproxy.url, sluice.url], SILENCE);
    assert.equal(code, 1);
    assert.equal(json.verdict, 'cut');
    // One measurement per point, outermost first.
    assert.deepEqual(
      timelines.map((t) => new URL(t.url).port),
      [nginx.url, haproxy.url, sluice.url].map((u) => new URL(u).port),
    );
    assert.deepEqual(
      json.chain.runs.map((r) => r.verdict),
      ['cut', 'cut', 'ok'],
    );
    const culprit = json.chain.culprit;
    assert.equal(culprit?.index, 1, json.chain.summary);
    assert.equal(new URL(culprit.url).port, String(haproxy.port));
    assert.equal(culprit.name, `the hop answering at ${new URL(haproxy.url).host}`);
    assert.equal(culprit.cause.id, 'idle-cut');
    assert.equal(culprit.cause.fixes[0]?.hop, 'haproxy');
    assert.match(culprit.cause.fixes[0].snippet ?? '', /timeout server 1h/);
    assert.ok(!culprit.cause.fixes.some((f) => f.hop === 'nginx'), 'nginx is not on that part');
    assert.match(json.chain.summary, /first appears at 127\.0\.0\.1:\d+: 127\.0\.0\.1:\d+ streams/);
  });

  it('a buffering nginx in front of a healthy HAProxy: nginx named there, its fix, no guess', async () => {
    const nginx = await nginxTo(haproxy.port, ['proxy_ignore_headers X-Accel-Buffering;']);
    const { json } = await chain([nginx.url, haproxy.url, sluice.url], PROBE);
    assert.equal(json.verdict, 'buffered');
    assert.deepEqual(
      json.chain.runs.map((r) => r.verdict),
      ['buffered', 'ok', 'ok'],
    );
    const culprit = json.chain.culprit;
    assert.equal(culprit?.index, 0);
    assert.equal(culprit.name, `nginx at ${new URL(nginx.url).host}`);
    assert.equal(culprit.cause.suspected, false);
    assert.match(culprit.cause.fixes[0]?.snippet ?? '', /proxy_buffering off;/);
  });

  it('the report names the point and the hop in words', async () => {
    const nginx = await nginxTo(haproxy.port, HEALTHY_NGINX);
    const run = await runDoctor([
      '--chain',
      [nginx.url, haproxy.url, sluice.url].join(','),
      ...SILENCE,
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^point 1 {3}http:\/\/127\.0\.0\.1:\d+\/sluice\/probe.* — CUT/m);
    assert.match(run.stdout, /^point 3 {3}.* — OK/m);
    assert.match(run.stdout, /^chain {5}the problem first appears at/m);
    assert.match(run.stdout, /if it is HAProxy/);
  });
});

describe('--chain: usage', () => {
  it('needs two points at least, at most eight, and not with --compare', async () => {
    const cases: [string[], RegExp][] = [
      [['--chain', 'http://a'], /at least two URLs/],
      [['--chain', Array.from({ length: 9 }, (_, i) => `http://h${i}`).join(',')], /at most 8/],
      [['--chain', 'http://a,ftp://b'], /--chain must be an http/],
      [['--chain', 'http://a,http://b', '--compare', 'http://c'], /give one of them/],
    ];
    for (const [args, message] of cases) {
      const run = await runDoctor(args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, message);
      assert.equal(run.timelines.length, 0, 'nothing was requested');
    }
  });

  it('a <url> given too is the outermost point', async () => {
    const run = await runDoctor([sluice.url, '--chain', sluice.url, '--json', ...PROBE]);
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.timelines.length, 2);
  });
});
