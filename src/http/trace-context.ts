/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
 * request headers that put a request in a distributed trace. Read strictly — a header that does
 * not parse is as if absent (the spec's "restart the trace") — and written in version 00.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface TraceParent {
  /** 32 lower-case hex digits, not all zero. */
  readonly traceId: string;
  /** The caller's span: 16 lower-case hex digits, not all zero. */
  readonly parentId: string;
  /** The trace flags; bit 0 is `sampled`. */
  readonly flags: number;
}

export const SAMPLED = 0x01;

/** `tracestate` longer than this is dropped whole (the spec asks for at least 512 to be kept). */
const MAX_TRACE_STATE = 512;

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
/** A later version: the same four fields first, then `-` and whatever that version adds. */
const LATER_VERSION = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|$)/;
const ALL_ZERO = /^0+$/;
/** List members of printable ASCII, as the spec's grammar allows, and nothing else. */
const TRACE_STATE = /^[\x20-\x7e]*$/;

/**
 * The request's `traceparent`, or undefined when it has none or one that does not parse (two
 * of them, joined by Node with a comma, do not).
 */
export function traceParentOf(headers: IncomingHttpHeaders): TraceParent | undefined {
  const value = headers.traceparent;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  let fields = VERSION_00.exec(text)?.slice(1);
  if (fields === undefined) {
    const later = LATER_VERSION.exec(text);
    // Version ff is forbidden; 00 must be exactly its 55 characters (matched above or not at all).
    if (later === null || later[1] === 'ff' || later[1] === '00') return undefined;
    fields = later.slice(2);
  }
  const [traceId = '', parentId = '', flags = ''] = fields;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
  return { traceId, parentId, flags: Number.parseInt(flags, 16) };
}

/** The request's `tracestate`, within bounds (its caller keeps it only beside a valid `traceparent`). */
export function traceStateOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.tracestate;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '' || text.length > MAX_TRACE_STATE || !TRACE_STATE.test(text)) return undefined;
  return text;
}

/** `traceparent` in version 00. */
export function formatTraceParent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${(flags & 0xff).toString(16).padStart(2, '0')}`;
}

export function newTraceId(): string {
  return nonZeroHex(16);
}

export function newSpanId(): string {
  return nonZeroHex(8);
}

function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!ALL_ZERO.test(hex)) return hex;
  }
}
