import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseUpstreamComment,
  UPSTREAM_READS,
  upstreamComment,
  type UpstreamView,
} from './upstream-view.ts';

/** The comment's text as an SSE parser hands it over: no colon, no leading space. */
const text = (view: unknown): string =>
  typeof view === 'string' ? view : `sluice-upstream ${JSON.stringify(view)}`;

describe('the upstream view comment', () => {
  it('round-trips through one comment line', () => {
    const view: UpstreamView = {
      reads: [
        [0.5, 120, 1],
        [40.25, 118, 1],
      ],
      egress: 'proxy',
      server: 'nginx/1.22.1',
    };
    const line = upstreamComment(view);
    assert.match(line, /^: sluice-upstream \{.*\}\n\n$/);
    assert.equal(line.trimEnd().split('\n').length, 1, 'one line: JSON has no newline');
    assert.deepEqual(parseUpstreamComment(line.slice(2).trimEnd()), view);
  });

  it('ignores other comments and anything not shaped as a view: it comes over the network', () => {
    for (const bad of [
      'ok',
      'sluice-upstream',
      'sluice-upstream {not json',
      'sluice-upstream []',
      { reads: 'many' },
      { reads: [[1, 2]] },
      { reads: [[1, 2, -1]] },
      { reads: [[1, 2, '3']] },
      { reads: [[Number.MAX_VALUE * 10, 2, 3]] },
      { reads: Array.from({ length: UPSTREAM_READS + 1 }, () => [1, 1, 1]) },
    ]) {
      assert.equal(parseUpstreamComment(text(bad)), undefined, JSON.stringify(bad).slice(0, 80));
    }
  });

  it('keeps only the fields it knows, header values cut to 256 characters', () => {
    const parsed = parseUpstreamComment(
      text({ reads: [], egress: 'teleport', server: 'x'.repeat(1000), extra: { a: 1 } }),
    );
    assert.deepEqual(parsed, { reads: [], server: 'x'.repeat(256) });
  });
});
