/**
 * No false alarms on a busy machine (issue 15). On a loaded 2-core machine the doctor called a
 * healthy nginx `delayed` for 29 ms holds, and one run in about 86 `headers-held` for a first
 * event 53 ms late. Here both cores are kept busy by CPU hogs while the doctor measures healthy
 * hops — Sluice itself, nginx with the streaming config, HAProxy with http-no-delay — and every
 * verdict must be `ok`: holds nobody would notice are no problem, and a borderline result is
 * measured again before it is called one.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { type CpuHogs, startCpuHogs } from './support/cpu-hogs.ts';
import { startHaproxy, type TestHaproxy } from './support/intermediaries/haproxy.ts';
import { probeArgs, runDoctor } from './support/intermediaries/doctor-run.ts';
import { proxyServerBlock, startNginx, type TestNginx } from './support/nginx.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';

const PROBE = probeArgs({ events: 30, intervalMs: 50, pad: 512, silenceMs: 0 });
/** Runs per hop: enough to see a stray stall, few enough to stay well inside the timeout. */
const RUNS = 3;

let sluice: TestSluice;
let nginx: TestNginx;
let haproxy: TestHaproxy;
let hogs: CpuHogs;
before(async () => {
  sluice = await startTestSluice({ SLUICE_LOG_LEVEL: 'warn' });
  const port = Number(new URL(sluice.url).port);
  nginx = await startNginx({
    serverBlock: proxyServerBlock({
      upstreamPort: port,
      locationExtra: [
        'proxy_buffering off;',
        'proxy_http_version 1.1;',
        'proxy_set_header Connection "";',
        'gzip off;',
      ].join('\n'),
    }),
  });
  haproxy = await startHaproxy({ upstreamPort: port, defaults: 'option http-no-delay' });
  // One hog per core; each ends by itself after two minutes whatever happens to this file.
  hogs = await startCpuHogs(availableParallelism(), 120);
});
after(async () => {
  await hogs.stop();
  await haproxy.stop();
  await nginx.stop();
  await sluice.stop();
});

describe('doctor verdicts with every core busy', () => {
  for (const [name, url] of [
    ['Sluice directly', () => sluice.url],
    ['nginx, streaming config', () => nginx.url],
    ['HAProxy with http-no-delay', () => haproxy.url],
  ] as const) {
    it(`${name}: ok, run after run`, async () => {
      const before = hogs.cpuSeconds();
      for (let i = 0; i < RUNS; i++) {
        const run = await runDoctor([url(), '--json', ...PROBE]);
        const summary = run.json?.causes.map((c) => `${c.id}: ${c.evidence.join('; ')}`);
        assert.equal(run.json?.verdict, 'ok', `run ${i + 1}: ${summary?.join('\n') ?? run.stdout}`);
        assert.equal(run.code, 0);
      }
      assert.ok(hogs.cpuSeconds() > before, 'the hogs ran while the doctor measured');
    });
  }
});
