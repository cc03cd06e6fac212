/** The breaker's rests: a 429's Retry-After is believed up to the longest cooldown. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_BREAKER, Health } from './health.ts';

describe('Health', () => {
  it('rests a limited upstream until its Retry-After, but never past the longest cooldown', () => {
    let now = 1_000_000;
    const health = new Health({ ...DEFAULT_BREAKER, now: () => now });
    health.record({ kind: 'limited', retryAfterMs: 20_000 });
    assert.equal(health.openUntil, now + 20_000);
    now = health.openUntil;
    health.record({ kind: 'ok' });
    // A Retry-After of thousands of years (a broken or hostile answer) is the longest cooldown.
    health.record({ kind: 'limited', retryAfterMs: 1e15 });
    assert.equal(health.openUntil, now + DEFAULT_BREAKER.maxCooldownMs);
  });
});
