import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchedSink, createLogger } from './logger.ts';

/** A sink target that records each write, i.e. each syscall the real stderr would make. */
function recorder() {
  const writes: string[] = [];
  return { writes, write: (text: string) => writes.push(text) };
}

describe('logger', () => {
  it('writes request lines in batches, not one write per line', () => {
    const target = recorder();
    const sink = batchedSink(target);
    const log = createLogger('info', { sink });
    for (let i = 0; i < 100; i++) log.info('request', { status: 200, i });
    assert.equal(target.writes.length, 0, 'info lines wait for the batch');
    sink.flush();
    assert.equal(target.writes.length, 1);
    const lines = (target.writes[0] ?? '').trimEnd().split('\n');
    assert.equal(lines.length, 100);
    assert.equal((JSON.parse(lines[99] ?? '') as { i: number }).i, 99);
  });

  it('writes warnings and errors at once, with what waited before them, in order', () => {
    const target = recorder();
    const log = createLogger('info', { sink: batchedSink(target) });
    log.info('first');
    log.error('broke', { error: new Error('boom') });
    assert.equal(target.writes.length, 1);
    const [first, second] = (target.writes[0] ?? '').trimEnd().split('\n');
    assert.equal((JSON.parse(first ?? '') as { msg: string }).msg, 'first');
    assert.deepEqual((JSON.parse(second ?? '') as { error: unknown }).error, {
      name: 'Error',
      message: 'boom',
    });
  });

  it('writes a waiting line after the batch interval without being asked', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const target = recorder();
    createLogger('info', { sink: batchedSink(target) }).info('listening');
    t.mock.timers.tick(49);
    assert.equal(target.writes.length, 0);
    t.mock.timers.tick(1);
    assert.equal(target.writes.length, 1);
  });

  it('keeps errors readable at any depth: code and cause chain', () => {
    const target = recorder();
    const log = createLogger('info', { sink: batchedSink(target) });
    const cause = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    log.warn('top', { error: new Error('upstream failed', { cause }) });
    log.warn('nested', { detail: { inner: new TypeError('bad') } });
    const [top, nested] = (target.writes.join('') || '')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(top?.error, {
      name: 'Error',
      message: 'upstream failed',
      cause: { name: 'Error', message: 'refused', code: 'ECONNREFUSED' },
    });
    assert.deepEqual(nested?.detail, { inner: { name: 'TypeError', message: 'bad' } });
  });
});

describe('JSON lines', () => {
  it('escape what a terminal would act on, and still parse to the same values', () => {
    const target = recorder();
    const sink = batchedSink(target);
    const fields = { model: 'gpt\u009b2J\u202eevil', path: '/v1/\u0085', nested: { u: '\u2028' } };
    createLogger('info', { sink }).info('request', fields);
    createLogger('info', { sink }).info('request', { model: fields.model });
    sink.flush();
    const lines = (target.writes[0] ?? '').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    for (const line of lines) assert.doesNotMatch(line, /[\x7f-\x9f\u2028\u202e]/);
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual({ model: first?.model, path: first?.path, nested: first?.nested }, fields);
    assert.equal(second?.model, fields.model);
  });
});

describe('pretty lines', () => {
  const lineOf = (fields: Record<string, unknown>, msg = 'request') => {
    const target = recorder();
    const sink = batchedSink(target);
    createLogger('info', { sink, format: 'pretty' }).info(msg, fields);
    sink.flush();
    return (target.writes[0] ?? '').trimEnd();
  };

  it('puts a request line in the order a person scans it, durations shortened', () => {
    const line = lineOf({
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      ms: 812,
      request_id: 'req_abc',
      key: 'sk-sl-ab12',
      user: 'ada',
      ip: null,
      client_ttfb_ms: 12.4,
      client_ttft_ms: 313,
      end_reason: 'done',
    });
    assert.match(
      line,
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}request POST \/v1\/chat\/completions 200 812ms request_id=req_abc key=sk-sl-ab12 user=ada ttfb=12ms ttft=313ms end_reason=done$/,
    );
    assert.ok(!line.includes('\x1b['), 'no colour codes when not writing to a terminal');
  });

  it('quotes what has spaces or quotes, so a line splits into the same fields again', () => {
    const line = lineOf({ user: 'a b', note: 'say "hi"', n: 3, ok: true, list: ['x', 'y'] });
    assert.match(line, / user="a b" note="say \\"hi\\"" n=3 ok=true list=\["x","y"\]$/);
  });

  it('shows an error as name, message, code and cause on one line', () => {
    const cause = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    const line = lineOf({ error: new Error('upstream failed', { cause }) }, 'broke');
    assert.match(
      line,
      / broke error="Error: upstream failed; cause: Error: refused \(ECONNREFUSED\)"$/,
    );
  });

  it('prints no escape sequence or direction override a client put in a value', () => {
    // U+009B is CSI (ESC [) as one character; U+202E shows the rest of the line reversed.
    const model = 'gpt\u009b2J\u202eevil';
    const line = lineOf({ model, user: 'a\u001b[31mred', list: ['\u0085', '\u2066'] });
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(line, /[\x00-\x1f\x7f-\x9f\u202e\u2066]/);
    assert.match(
      line,
      / model="gpt\\u009b2J\\u202eevil" user="a\\u001b\[31mred" list=\["\\u0085","\\u2066"\]$/,
    );
  });

  it('keeps a line one line: a newline in a value is escaped', () => {
    const line = lineOf({ text: 'one\ntwo' });
    assert.equal(line.split('\n').length, 1);
    assert.match(line, /text="one\\ntwo"$/);
  });
});
