/**
 * The benchmark's throughput point (bench/throughput.ts) cannot rot between runs: its search
 * doubles, then halves the gap, within its bounds; its report gives the ratios; and its Sluice
 * target — two workers, as deployed — relays a small load completely. No figure is asserted:
 * speed lives in the benchmark, not in tests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadResult } from '../bench/loadgen.ts';
import { startChild } from '../bench/processes.ts';
import { startUpstream, type Upstream } from '../bench/targets.ts';
import { renderThroughput, search, type Step } from '../bench/throughput.ts';
import { startSluiceWorkers } from '../bench/throughput-targets.ts';

function step(streams: number, pass: boolean): Step {
  return {
    streams,
    offered: streams * 10,
    delivered: streams * 7,
    p99: 10,
    directP99: 2,
    addedP99: pass ? 8 : 80,
    failed: 0,
    lostEvents: 0,
    cpuPer1000: 0.05,
    harnessCpuPct: 20,
    pass,
  };
}

describe('throughput point', () => {
  it('doubles from 250 streams until a step fails, then halves the gap twice', async () => {
    const asked: number[] = [];
    const result = await search('t', (streams) => {
      asked.push(streams);
      return Promise.resolve(step(streams, streams <= 1300));
    });
    assert.deepEqual(asked, [250, 500, 1000, 2000, 1500, 1250]);
    assert.equal(result.best?.streams, 1250);
    assert.equal(result.unbounded, false);
  });

  it('stops where the harness does, and says the figure is a bound', async () => {
    const result = await search('t', (streams) =>
      Promise.resolve(streams >= 1000 ? undefined : step(streams, true)),
    );
    assert.equal(result.best?.streams, 500);
    assert.equal(result.unbounded, true);
    const text = renderThroughput({
      date: '2026-12-02',
      machine: 'test, 2 cores',
      workers: 2,
      harnessLimit: 1000,
      targets: [
        { ...result, target: 'nginx (auto)' },
        { target: 'sluice ×1', best: step(250, true), unbounded: false, steps: [step(250, true)] },
        { ...result, target: 'sluice ×2' },
      ],
    });
    assert.match(text, /\| nginx \(auto\) \| \*\*≥ 5000\*\* \|/);
    // A bound over a bound says nothing sure; over an exact figure, which way it bounds.
    assert.match(text, /sluice ×2 ÷ nginx \(auto\): \*\*1 \(both are bounds\)\*\* \(target/);
    assert.match(text, /sluice ×2 ÷ sluice ×1: \*\*≥ 2\*\*/);
    assert.match(text, /sluice ×1 ÷ nginx \(auto\): ≤ 0\.5$/m);
  });

  describe('its Sluice target', () => {
    let upstream: Upstream;
    before(async () => {
      upstream = await startUpstream(0);
    });
    after(() => upstream.child.stop());

    it('serves from two workers and relays every event of every stream', async () => {
      const target = await startSluiceWorkers(upstream.port, 2);
      try {
        assert.equal(target.pids().length, 3, 'the primary and its two workers');
        const job: LoadJob = {
          url: target.url,
          headers: target.headers,
          concurrency: 6,
          events: 5,
          intervalMs: 1,
          pad: 10,
          rampMs: 0,
          deadlineMs: 20_000,
          ...(target.scrape === undefined ? {} : { scrape: { ...target.scrape, everyMs: 50 } }),
        };
        const loadgen = fileURLToPath(new URL('../bench/loadgen.ts', import.meta.url));
        const child = await startChild(process.execPath, [loadgen, JSON.stringify(job)], {
          core: 1,
        });
        const result = await child.firstJson<LoadResult>();
        assert.deepEqual(
          { complete: result.complete, events: result.events, failed: result.failed },
          { complete: 6, events: 30, failed: 0 },
        );
        assert.equal(
          result.scrapes?.failed,
          0,
          `the added-up /metrics answers (${result.errors.join('; ')})`,
        );
      } finally {
        await target.stop();
      }
    });
  });
});
