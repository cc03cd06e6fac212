import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '../log/index.ts';
import type { UsageRecord } from '../store/types.ts';
import { usageRecord } from '../../test/support/usage-record.ts';
import { journalsIn, readJournal, UsageJournal } from './usage-journal.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-journal-'));
  dirs.push(dir);
  return dir;
}

const log = createLogger('silent');

function record(id: string, endReason: UsageRecord['endReason'], pad = ''): UsageRecord {
  return usageRecord({ id, startedAt: 1, endReason, keyPrefix: pad, instanceId: 'abc' });
}

describe('UsageJournal', () => {
  it('keeps the latest version of each record; a replay reads exactly that', () => {
    const dir = scratch();
    const journal = new UsageJournal(dir, 'abc', log);
    journal.append(record('req_1', 'incomplete'));
    journal.append(record('req_2', 'incomplete'));
    journal.append(record('req_1', 'done'));
    const files = journalsIn(dir).get('abc') ?? [];
    const replayed = readJournal(files).sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(
      replayed.map((r) => [r.id, r.endReason]),
      [
        ['req_1', 'done'],
        ['req_2', 'incomplete'],
      ],
    );
  });

  it('skips a line torn by the kill that ended its process', () => {
    const dir = scratch();
    const journal = new UsageJournal(dir, 'abc', log);
    journal.append(record('req_1', 'done'));
    const [file = ''] = journalsIn(dir).get('abc') ?? [];
    appendFileSync(file, '{"id":"req_1","endReason":"incompl');
    assert.deepEqual(
      readJournal([file]).map((r) => r.endReason),
      ['done'],
    );
  });

  it('a full segment goes once the store has every record it holds the latest of', () => {
    const dir = scratch();
    const journal = new UsageJournal(dir, 'abc', log);
    const big = 'x'.repeat(64 * 1024);
    const segments = Array.from({ length: 70 }, (_, i) =>
      journal.append(record(`req_${i}`, 'done', big)),
    );
    assert.ok(segments.at(-1)! > 0, 'it rotated past 4 MiB');
    const first = readdirSync(dir).length;
    assert.ok(first >= 2);
    for (const segment of segments.slice(0, -1)) journal.release(segment);
    // Every finished segment is gone; the current one stays until it is finished too.
    assert.deepEqual(readdirSync(dir), [`abc.${segments.at(-1)!}.jsonl`]);
  });

  it('at close, goes if the store has everything, stays for the next start if not', () => {
    const done = scratch();
    const kept = new UsageJournal(done, 'abc', log);
    kept.release(kept.append(record('req_1', 'done')));
    kept.close();
    assert.deepEqual(readdirSync(done), []);

    const pending = scratch();
    const left = new UsageJournal(pending, 'abc', log);
    left.append(record('req_1', 'done'));
    left.close();
    assert.equal(readJournal(journalsIn(pending).get('abc') ?? []).length, 1);
  });

  it('a journal an older version wrote reads with the fields added since, as their records have them', () => {
    const dir = scratch();
    const {
      instanceId: _i,
      requestedModel: _r,
      clientTtftMs: _c,
      tries: _t,
      searches: _s,
      ...older
    } = record('req_old', 'done');
    const file = join(dir, 'journal-old.ndjson');
    appendFileSync(file, `${JSON.stringify(older)}\n`);
    const [read] = readJournal([file]);
    assert.deepEqual(read, {
      ...older,
      instanceId: null,
      requestedModel: null,
      clientTtftMs: null,
      tries: null,
      searches: 0,
    });
  });

  it('lists journals by instance, segments in order', () => {
    const dir = scratch();
    const a = new UsageJournal(dir, 'aaa', log);
    a.append(record('req_1', 'done'));
    new UsageJournal(dir, 'bbb', log).append(record('req_2', 'done'));
    appendFileSync(join(dir, 'not-a-journal.txt'), 'x');
    assert.deepEqual([...journalsIn(dir).keys()].sort(), ['aaa', 'bbb']);
    assert.deepEqual(journalsIn(join(dir, 'missing')), new Map());
  });
});
