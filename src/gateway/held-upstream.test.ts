import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../log/index.ts';
import { arrivedGathered, HELD_EVENTS, HeldUpstreamWarnings } from './held-upstream.ts';

describe('an answer held behind Sluice', () => {
  it('is a long event stream that came in a few large pieces; a short one or a flowing one is not', () => {
    assert.equal(arrivedGathered(HELD_EVENTS, 1), true, 'whole');
    assert.equal(arrivedGathered(42, 2), true, 'a 4 KiB burst, then the rest');
    assert.equal(arrivedGathered(800, 100), true, '8 a read');
    assert.equal(arrivedGathered(800, 101), false);
    assert.equal(arrivedGathered(HELD_EVENTS - 1, 1), false, 'a quick short answer fits one read');
    assert.equal(arrivedGathered(500, 480), false, 'about one event a read: it streamed');
    assert.equal(arrivedGathered(0, 0), false);
  });

  it('is warned of once per upstream per ten minutes', () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('warn', {
      sink: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    let now = 0;
    const warnings = new HeldUpstreamWarnings(log, () => now);
    warnings.note('relay', 40, 1, 'r1');
    warnings.note('relay', 40, 1, 'r2');
    warnings.note('other', 40, 1, 'r3');
    now += 10 * 60_000;
    warnings.note('relay', 40, 1, 'r4');
    assert.deepEqual(
      lines.map((l) => [l.msg, l.upstream, l.request_id]),
      [
        ['upstream answer arrived gathered', 'relay', 'r1'],
        ['upstream answer arrived gathered', 'other', 'r3'],
        ['upstream answer arrived gathered', 'relay', 'r4'],
      ],
    );
  });
});
