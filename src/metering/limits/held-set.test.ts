import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeldSet } from './held-set.ts';

describe('HeldSet', () => {
  it('keeps the sum as holds come and go; nothing held is exactly nothing', () => {
    const held = new HeldSet();
    // Binary fractions, so the sums are exact here (in use they may drift by an ulp).
    held.add('a', { tokens: 100, cost: 0.5 }, 1_000);
    held.add('b', { tokens: 50, cost: 0.25 }, 1_000);
    held.add('a', { tokens: 10, cost: 0.125 }, 1_000); // the same request again: replaced
    assert.deepEqual(held.total(0), { tokens: 60, cost: 0.375 });
    held.remove('b');
    held.remove('b');
    assert.deepEqual(held.total(0), { tokens: 10, cost: 0.125 });
    held.remove('a');
    assert.deepEqual(held.total(0), { tokens: 0, cost: 0 });
    assert.equal(held.size, 0);
  });

  it('drops what was not renewed when its time has passed, keeps what was', () => {
    const held = new HeldSet();
    held.add('dead', { tokens: 100, cost: 1 }, 1_000);
    held.add('live', { tokens: 7, cost: 2 }, 1_000);
    held.renew('live', 5_000);
    assert.deepEqual(held.total(999), { tokens: 107, cost: 3 });
    assert.deepEqual(held.total(1_000), { tokens: 7, cost: 2 });
    assert.equal(held.size, 1);
    assert.deepEqual(held.total(5_000), { tokens: 0, cost: 0 });
  });
});
