/** Time-to-first-byte buckets for the admin chart. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { histogram } from '../src/charts/histogram.ts';

it('counts values into half-open buckets and drops the empty tail', () => {
  assert.deepEqual(histogram([10, 49, 50, 120, 250], [50, 100, 200, 300, 500]), [
    { label: '0–50', count: 2 },
    { label: '50–100', count: 1 },
    { label: '100–200', count: 1 },
    { label: '200–300', count: 1 },
  ]);
  assert.deepEqual(histogram([12_000], [1000, 2000]), [
    { label: '0–1s', count: 0 },
    { label: '1s–2s', count: 0 },
    { label: '≥2s', count: 1 },
  ]);
  assert.deepEqual(histogram([]), [{ label: '0–50', count: 0 }]);
});
