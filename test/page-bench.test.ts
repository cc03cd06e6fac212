/**
 * The page benchmark's own parts (bench/page-render.ts), so `npm run bench -- --page` cannot rot
 * between runs: how a trace is cut into frames, and the answer it streams. No figure is
 * asserted: speed lives in the benchmark, not in tests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frameWork, longAnswer, type TraceEvent } from '../bench/page-render.ts';

const MAIN = { pid: 1, tid: 1 };
const task = (ts: number, dur: number, tdur = dur): TraceEvent => ({
  ...MAIN,
  name: 'ThreadControllerImpl::RunTask',
  ph: 'X',
  ts,
  dur,
  tdur,
});
const frame = (ts: number): TraceEvent => ({
  ...MAIN,
  name: 'ProxyMain::BeginMainFrame',
  ph: 'X',
  ts,
  dur: 10,
});
const mark = (name: string, ts: number): TraceEvent => ({ ...MAIN, name, ph: 'R', ts });

describe('page benchmark', () => {
  it('sums the tasks up to and including the one that produces each frame, between the marks', () => {
    const frames = frameWork([
      task(0, 5_000), // before the start mark: not counted
      mark('sluice-bench:streaming', 10_000),
      task(11_000, 1_000, 800), // reading the stream
      task(13_000, 3_000, 2_000), // the frame: callbacks, style, layout, paint
      frame(13_100),
      task(13_500, 100), // nested in the task before: not counted twice
      { ...task(14_000, 9_000), pid: 2 }, // another process
      task(20_000, 4_000),
      frame(20_050),
      task(25_000, 500), // no frame after it before the end mark
      mark('sluice-bench:done', 26_000),
      task(27_000, 2_000),
      frame(27_100),
    ]);
    assert.deepEqual(frames, [
      { wallMs: 4, cpuMs: 2.8 },
      { wallMs: 4, cpuMs: 4 },
    ]);
  });

  it('fails on a trace without its marks rather than measuring nothing', () => {
    assert.throws(() => frameWork([task(0, 1_000), frame(100)]), /marks/);
  });

  it('streams the same long answer each time, with code blocks, lists and tables', () => {
    const tokens = longAnswer(20_000);
    assert.equal(tokens.length, 20_000);
    assert.deepEqual(longAnswer(500), tokens.slice(0, 500));
    const text = tokens.join('');
    assert.ok(text.length > 80_000, `${text.length} characters`);
    for (const part of ['```ts\n', '```python\n', '\n- ', '|---|---|---|\n', '## Section 40\n'])
      assert.ok(text.includes(part), part);
  });
});
