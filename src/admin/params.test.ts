/** Times and spans as text: what reads, and what is refused rather than rolled over. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExpiry, parseIsoTime, parseSpan } from './params.ts';

describe('parseSpan', () => {
  it('reads each unit, fractions too', () => {
    assert.equal(parseSpan('30s'), 30_000);
    assert.equal(parseSpan('1.5h'), 5_400_000);
    assert.equal(parseSpan(' 2w '), 14 * 86_400_000);
  });

  it('refuses zero, other units, and spans past a thousand years', () => {
    for (const text of ['0d', '1y', '1 d', '-1d', '1e3d', '52180w', '99999999999999999999w'])
      assert.equal(parseSpan(text), undefined, text);
    assert.equal(parseSpan('365000d'), 365_000 * 86_400_000, 'just under a thousand years');
  });

  it('an expiry from now stays a time a Date can hold', () => {
    const ms = parseExpiry('52000w', Date.now());
    assert.ok(ms !== undefined);
    assert.doesNotThrow(() => new Date(ms).toISOString());
  });
});

describe('parseIsoTime', () => {
  it('reads dates and date-times with or without an offset', () => {
    assert.equal(parseIsoTime('2026-11-24'), Date.UTC(2026, 10, 24));
    assert.equal(parseIsoTime('2026-11-24T10:00:00Z'), Date.UTC(2026, 10, 24, 10));
    assert.equal(parseIsoTime('2024-02-29T23:59+01:00'), Date.UTC(2024, 1, 29, 22, 59));
    assert.equal(parseIsoTime('0001-01-01'), Date.parse('0001-01-01'));
  });

  it('refuses days and hours that do not exist instead of rolling them over', () => {
    for (const text of ['2026-02-30', '2025-02-29', '2026-04-31', '2026-13-01', '2026-00-10'])
      assert.equal(parseIsoTime(text), undefined, text);
    assert.equal(parseIsoTime('2026-05-01T24:00Z'), undefined);
    assert.equal(parseIsoTime('1'), undefined, 'Date.parse alone reads "1"');
  });
});
