/**
 * The stream-health meter on synthetic arrival times: a paced stream is healthy, a burst after
 * a silence and a whole answer arriving with its end are flagged, a fast model is not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BURST_GAP_MS, StreamMeter } from '../src/health/meter.ts';

describe('StreamMeter', () => {
  it('measures time to first token and tokens per second of a paced stream, no warning', () => {
    const meter = new StreamMeter(1000);
    for (let i = 0; i < 21; i++) meter.record(1300 + i * 50, 1, false);
    meter.record(2310, 0, true);
    const r = meter.readout();
    assert.equal(r.ttftMs, 300);
    assert.equal(r.deltas, 21);
    assert.equal(r.tokensPerSecond, 20);
    assert.equal(r.finding, null);
    assert.equal(r.ended, true);
  });

  it('does not flag a fast model (a few tokens per frame) after a long first wait', () => {
    const meter = new StreamMeter(0);
    for (let i = 0; i < 200; i++) meter.record(5000 + i * 5, 1, false);
    meter.record(6000, 0, true);
    assert.equal(meter.readout().finding, null);
  });

  it('flags many tokens within one frame after a silence', () => {
    const meter = new StreamMeter(0);
    meter.record(200, 1, false);
    meter.record(200 + BURST_GAP_MS + 500, 30, false);
    meter.record(200 + BURST_GAP_MS + 505, 10, false);
    assert.deepEqual(meter.readout().finding, {
      kind: 'burst',
      deltas: 40,
      gapMs: BURST_GAP_MS + 500,
    });
  });

  it('flags the whole answer arriving with its end, however short the wait', () => {
    const meter = new StreamMeter(0);
    meter.record(40, 0, false); // the start event: headers went through at once
    meter.record(90, 40, false);
    meter.record(95, 0, true);
    assert.deepEqual(meter.readout().finding, { kind: 'buffered', deltas: 40 });
    assert.equal(meter.readout().tokensPerSecond, null, 'no rate from a single instant');
  });

  it('still sees one burst when the reads of the released buffer resolve apart', () => {
    const meter = new StreamMeter(0);
    meter.record(90, 20, false);
    meter.record(150, 20, false); // within 40 tokens × 2 ms of the first read
    meter.record(160, 0, true);
    assert.deepEqual(meter.readout().finding, { kind: 'buffered', deltas: 40 });
  });

  it('does not flag a short answer that happens to fit in one frame', () => {
    const meter = new StreamMeter(0);
    meter.record(300, 3, true);
    assert.equal(meter.readout().finding, null);
  });
});
