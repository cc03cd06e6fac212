import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usageRecord } from '../../test/support/usage-record.ts';
import type { Upstream } from '../upstream/index.ts';
import { ClusterMetrics, type LiveState, SluiceMetrics } from './index.ts';

const LIVE: LiveState = {
  streams: { open: 2, paused: 0, bufferedBytes: 100 },
  usagePending: 1,
  bodyBytes: 0,
  draining: false,
  upstreams: [{ name: 'one', health: { state: 'closed' }, keys: [] } as unknown as Upstream],
};

/** A worker's metrics after `requests` finished requests. */
async function worker(requests: number, live: Partial<LiveState> = {}) {
  const metrics = new SluiceMetrics({ labels: [] });
  for (let i = 0; i < requests; i++)
    metrics.finished({
      record: usageRecord({ id: `r${i}`, startedAt: 1_000, endedAt: 1_200, status: 200 }),
      attempts: [],
      trace: undefined,
      errorCode: undefined,
      gaps: undefined,
    });
  return metrics.snapshot({ ...LIVE, ...live });
}

function line(text: string, prefix: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(prefix));
}

describe('ClusterMetrics', () => {
  it('sums counters, histograms and in-flight gauges; shows breakers per worker', async () => {
    const cluster = new ClusterMetrics(new SluiceMetrics({ labels: [] }));
    cluster.workers = 2;
    const { text } = await cluster.render([
      { slot: 1, id: 1, metrics: await worker(3) },
      { slot: 2, id: 2, metrics: await worker(4, { draining: true }) },
    ]);
    assert.match(line(text, 'sluice_requests_total{') ?? '', / 7$/);
    assert.match(line(text, 'sluice_request_duration_seconds_count{') ?? '', / 7$/);
    assert.equal(line(text, 'sluice_streams_open '), 'sluice_streams_open 4');
    assert.equal(line(text, 'sluice_draining '), 'sluice_draining 1', 'workers draining');
    assert.equal(line(text, 'sluice_workers '), 'sluice_workers 2');
    assert.ok(text.includes('sluice_upstream_breaker_state{upstream="one",key="",worker="1"} 0'));
    assert.ok(text.includes('sluice_upstream_breaker_state{upstream="one",key="",worker="2"} 0'));
    assert.equal(text.match(/^# TYPE sluice_requests_total /gm)?.length, 1, 'one family');
  });

  it('keeps a dead worker’s counts, so no counter goes backwards', async () => {
    const cluster = new ClusterMetrics(new SluiceMetrics({ labels: [] }));
    await cluster.render([
      { slot: 1, id: 1, metrics: await worker(3) },
      { slot: 2, id: 2, metrics: await worker(4) },
    ]);
    await cluster.retire(1);
    cluster.countRestart();
    // Worker 1's place is taken by worker 3, which has counted one request so far.
    const { text } = await cluster.render([
      { slot: 2, id: 2, metrics: await worker(5) },
      { slot: 1, id: 3, metrics: await worker(1) },
    ]);
    assert.match(line(text, 'sluice_requests_total{') ?? '', / 9$/, '3 kept + 5 + 1');
    assert.equal(line(text, 'sluice_streams_open '), 'sluice_streams_open 4', 'the living only');
    assert.equal(line(text, 'sluice_worker_restarts_total '), 'sluice_worker_restarts_total 1');
  });
});
