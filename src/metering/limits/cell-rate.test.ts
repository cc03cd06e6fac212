/**
 * The GCRA arithmetic alone, at sizes the backend suite cannot afford: a burst is exactly `rate`
 * for any rate, which naive float or per-step rounding of 60000 / rate gets wrong past a few
 * hundred (rounding) or at awkward divisors (floats).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addCells, checkRequest, checkTokens, settle, type CellRate } from './cell-rate.ts';

const NOW = Date.UTC(2026, 10, 20, 12);

function burst(rate: number, now: number, start?: CellRate): { passed: number; state: CellRate } {
  let state = settle(start, rate, now);
  let passed = 0;
  while (checkRequest(state, now).ok) {
    state = addCells(state, 1);
    passed++;
  }
  return { passed, state };
}

describe('cell rate', () => {
  it('passes exactly rate requests in a burst, for any rate', () => {
    for (const rate of [1, 3, 7, 37, 59, 244, 7_745, 60_001, 99_991]) {
      assert.equal(burst(rate, NOW).passed, rate, `rpm ${rate}`);
    }
  });

  it('then one per 60000 / rate ms, without drift', () => {
    const rate = 37;
    let { state } = burst(rate, NOW);
    // Over 10 minutes exactly 370 more fit, however the 1621.6 ms steps fall on whole ms.
    let passed = 0;
    for (let t = NOW; t <= NOW + 600_000; t++) {
      state = settle(state, rate, t);
      if (checkRequest(state, t).ok) {
        state = addCells(state, 1);
        passed++;
      }
    }
    assert.equal(passed, 370);
  });

  it('folds cells counted at an old rate into the base when the limit changes', () => {
    const { state } = burst(10, NOW); // TAT = NOW + 60 s
    const changed = settle(state, 20, NOW);
    assert.deepEqual(changed, { base: NOW + 60_000, cells: 0, rate: 20 });
    assert.deepEqual(checkRequest(changed, NOW), { ok: false, retryAfterSeconds: 3 });
  });

  it('tokens: passes until the debt reaches a window, retry strictly after', () => {
    const state = addCells(settle(undefined, 1_000, NOW), 1_000); // TAT = NOW + 60 s
    assert.deepEqual(checkTokens(state, NOW), { ok: false, retryAfterSeconds: 1 });
    assert.deepEqual(checkTokens(settle(state, 1_000, NOW + 1), NOW + 1), { ok: true });
    assert.deepEqual(checkTokens(settle(undefined, 0, NOW), NOW), {
      ok: false,
      retryAfterSeconds: 60,
    });
  });
});
