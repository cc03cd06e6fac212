import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNginxSize, parseNginxTime } from './nginx-values.ts';

describe('nginx values', () => {
  it('reads times as nginx does: a bare number is seconds, units combine', () => {
    assert.equal(parseNginxTime('60'), 60_000);
    assert.equal(parseNginxTime('60s'), 60_000);
    assert.equal(parseNginxTime('500ms'), 500);
    assert.equal(parseNginxTime('1h30m'), 5_400_000);
    assert.equal(parseNginxTime('1h 30m'), 5_400_000);
    assert.equal(parseNginxTime('1d'), 86_400_000);
    assert.equal(parseNginxTime('$timeout'), undefined);
    assert.equal(parseNginxTime('10x'), undefined);
  });

  it('reads sizes: k, m, g in either case; a bare number is bytes', () => {
    assert.equal(parseNginxSize('1m'), 1024 ** 2);
    assert.equal(parseNginxSize('32M'), 32 * 1024 ** 2);
    assert.equal(parseNginxSize('8k'), 8192);
    assert.equal(parseNginxSize('100'), 100);
    assert.equal(parseNginxSize('0'), 0);
    assert.equal(parseNginxSize('1t'), undefined);
  });
});
