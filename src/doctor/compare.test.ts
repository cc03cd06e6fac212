/**
 * `--compare`: where the difference between two paths appears, with what only the bad path
 * shows — response headers, and how the request arrived (a silent hop's habits).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arrivedAs, LOWER_CASED, withArrival } from '../../test/support/arrived-timeline.ts';
import {
  probeTimeline,
  SSE_HEADERS,
} from '../../test/support/intermediaries/synthetic-timeline.ts';
import { classify } from './classify.ts';
import { compareDiagnoses } from './compare.ts';

describe('compareDiagnoses', () => {
  it('names the silent hop only the bad path passes', () => {
    const direct = classify(arrivedAs({}));
    const cut = probeTimeline({
      probe: { events: 3, intervalMs: 50, pad: 0, silenceMs: 4500 },
      arrivals: [3],
      headers: SSE_HEADERS,
      end: { kind: 'reset', t: 3004, code: 'ECONNRESET' },
    });
    const haproxy = classify(
      withArrival({ ...cut, url: 'http://127.0.0.1:8081/sluice/probe' }, LOWER_CASED),
    );
    const comparison = compareDiagnoses(direct, haproxy);
    assert.equal(comparison.verdict, 'cut');
    assert.match(
      comparison.difference,
      /only 127\.0\.0\.1:8081 takes; there, a hop in front of Sluice that adds no header: the doctor sent "x-Sluice-doctor" and it arrived as "x-sluice-doctor"/,
    );
  });
});
