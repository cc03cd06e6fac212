import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatTraceParent,
  newSpanId,
  newTraceId,
  traceParentOf,
  traceStateOf,
} from './trace-context.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('W3C traceparent', () => {
  it('reads version 00, the spec’s own example', () => {
    assert.deepEqual(traceParentOf({ traceparent: `00-${TRACE}-${PARENT}-01` }), {
      traceId: TRACE,
      parentId: PARENT,
      flags: 1,
    });
    assert.equal(traceParentOf({ traceparent: `00-${TRACE}-${PARENT}-00` })?.flags, 0);
  });

  it('reads the known fields of a later version, and what it appends after a dash', () => {
    assert.equal(traceParentOf({ traceparent: `cc-${TRACE}-${PARENT}-01` })?.traceId, TRACE);
    assert.equal(traceParentOf({ traceparent: `cc-${TRACE}-${PARENT}-01-what-next` })?.flags, 1);
  });

  it('refuses whatever the spec does not allow: as if there were none', () => {
    const refused = [
      `ff-${TRACE}-${PARENT}-01`, // version ff is forbidden
      `00-${TRACE}-${PARENT}-01-extra`, // version 00 has exactly four fields
      `00-${TRACE.toUpperCase()}-${PARENT}-01`, // lower-case hex only
      `00-${'0'.repeat(32)}-${PARENT}-01`, // an all-zero trace id
      `00-${TRACE}-${'0'.repeat(16)}-01`, // an all-zero parent id
      `00-${TRACE.slice(1)}-${PARENT}-01`, // a short trace id
      `00-${TRACE}-${PARENT}-1`,
      `00_${TRACE}_${PARENT}_01`,
      // Two headers, joined by Node with a comma.
      `00-${TRACE}-${PARENT}-01, 00-${TRACE}-${PARENT}-01`,
      `cc-${TRACE}-${PARENT}-01, cc-${TRACE}-${PARENT}-01`,
      '',
    ];
    for (const traceparent of refused)
      assert.equal(traceParentOf({ traceparent }), undefined, traceparent);
    assert.equal(traceParentOf({}), undefined);
  });

  it('tracestate: kept within 512 characters of printable ASCII, dropped whole beyond', () => {
    assert.equal(
      traceStateOf({ tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' }),
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    );
    assert.equal(traceStateOf({ tracestate: `a=${'x'.repeat(510)}` }), `a=${'x'.repeat(510)}`);
    assert.equal(traceStateOf({ tracestate: `a=${'x'.repeat(511)}` }), undefined);
    assert.equal(traceStateOf({ tracestate: 'a=é' }), undefined);
    assert.equal(traceStateOf({ tracestate: '' }), undefined);
  });

  it('writes version 00, and reads back what it wrote', () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.match(spanId, /^[0-9a-f]{16}$/);
    const header = formatTraceParent(traceId, spanId, 1);
    assert.equal(header, `00-${traceId}-${spanId}-01`);
    assert.deepEqual(traceParentOf({ traceparent: header }), {
      traceId,
      parentId: spanId,
      flags: 1,
    });
  });
});
