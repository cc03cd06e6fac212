import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { Gaps } from '../gateway/gaps.ts';
import { GAP_BUCKETS_SECONDS } from '../gateway/index.ts';
import { GapHistogram } from './metrics-gaps.ts';

describe('GapHistogram', () => {
  it('exposes added bucket counts exactly as prom-client exposes the same observations', async () => {
    const streams = [
      [1, 4, 4, 30, 700],
      [2, 70_000],
      [3, 3, 3],
    ];
    const ours = new Registry();
    const gaps = new GapHistogram(ours);
    const theirs = new Registry();
    const reference = new Histogram({
      name: 'sluice_inter_event_gap_seconds',
      help: gaps.help,
      labelNames: ['model', 'upstream'],
      buckets: [...GAP_BUCKETS_SECONDS],
      registers: [theirs],
    });
    for (const [i, stream] of streams.entries()) {
      const counted = new Gaps();
      for (const ms of stream) {
        counted.add(ms);
        reference.observe({ model: i === 1 ? 'b' : 'a', upstream: 'u' }, ms / 1000);
      }
      gaps.add(i === 1 ? 'b' : 'a', 'u', counted);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  it('adds nothing for a stream without gaps, and reset() forgets everything', async () => {
    const registry = new Registry();
    const gaps = new GapHistogram(registry);
    gaps.add('m', 'u', new Gaps());
    assert.deepEqual((await gaps.get()).values, []);
    const one = new Gaps();
    one.add(10);
    gaps.add('m', 'u', one);
    assert.equal((await gaps.get()).values.length, GAP_BUCKETS_SECONDS.length + 3);
    registry.resetMetrics();
    assert.deepEqual((await gaps.get()).values, []);
  });
});
