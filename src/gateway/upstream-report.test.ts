import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUpstreamComment, UPSTREAM_READS } from '../probe/index.ts';
import { asksForUpstreamReport, UpstreamReport, upstreamDetails } from './upstream-report.ts';

/** The view a report's comment carries, as the doctor reads it. */
function viewOf(report: UpstreamReport) {
  const line = report.comment();
  assert.match(line, /^: sluice-upstream .*\n\n$/);
  return parseUpstreamComment(line.slice(2).trimEnd());
}

describe('the upstream report', () => {
  it('lists each read in turn, and no more than its bound: any caller may ask, every stream keeps it', () => {
    const report = new UpstreamReport();
    for (let i = 0; i < UPSTREAM_READS + 100; i++) report.add(100 + i, 1);
    const view = viewOf(report);
    assert.equal(view?.reads.length, UPSTREAM_READS);
    assert.equal(view.truncated, true);
    assert.deepEqual(
      view.reads.slice(0, 2).map(([, bytes, events]) => [bytes, events]),
      [
        [100, 1],
        [101, 1],
      ],
    );
    const times = view.reads.map(([ms]) => ms);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
  });

  it('names the hops behind Sluice only when given details (an admin), values bounded', () => {
    assert.deepEqual(viewOf(new UpstreamReport()), { reads: [] });
    const details = upstreamDetails(true, { server: 'nginx/1.22.1', via: ['1.1 a', '1.1 b'] });
    assert.deepEqual(details, { egress: 'proxy', server: 'nginx/1.22.1', via: '1.1 a, 1.1 b' });
    assert.equal(upstreamDetails(false, { server: 'x'.repeat(1000) }).server?.length, 256);
  });

  it('is asked for by the doctor header with a token, nothing else', () => {
    assert.equal(asksForUpstreamReport({ 'x-sluice-doctor': 'run_1-A' }), true);
    for (const value of [undefined, '', 'a b', 'x'.repeat(65), ['a', 'b']]) {
      assert.equal(asksForUpstreamReport({ 'x-sluice-doctor': value }), false, String(value));
    }
  });
});
