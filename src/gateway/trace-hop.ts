/**
 * A request's place in a distributed trace (W3C Trace Context), and what each try of an
 * upstream is told of it. With traces on, Sluice takes part: its server span joins the client's
 * trace (or starts one), and each try is a client span whose id goes to the upstream in
 * `traceparent`, so a traced upstream (vLLM, another gateway) continues the same trace. With
 * traces off, Sluice is a hop that does not take part: a valid `traceparent` (and its
 * `tracestate`) goes on as it came — a later version's as version 00, its known fields; one
 * that does not parse goes nowhere.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  formatTraceParent,
  newSpanId,
  newTraceId,
  SAMPLED,
  type TraceParent,
  traceParentOf,
  traceStateOf,
} from '../http/index.ts';

/** The request's trace as its spans will carry it (only with traces on). */
export interface RequestTrace {
  /** The client's trace, or a new one. */
  readonly traceId: string;
  /** Sluice's server span for this request. */
  readonly spanId: string;
  /** The client's span, when it sent a valid `traceparent`. */
  readonly parent: TraceParent | undefined;
  readonly state: string | undefined;
}

/** What one try sends, and the id of its client span (traces on). */
export interface TraceTry {
  readonly headers: Readonly<Record<string, string>>;
  readonly spanId: string | undefined;
}

const NOTHING: TraceTry = { headers: {}, spanId: undefined };

export interface TraceHop {
  /** Set when Sluice takes part (traces on). */
  readonly trace: RequestTrace | undefined;
  /** For the next try of an upstream. */
  nextTry(): TraceTry;
  /**
   * For a call with no span of its own (the model lists a merged list is made of): under
   * Sluice's server span, or as the client sent it.
   */
  readonly headers: Readonly<Record<string, string>>;
}

/** Traces off and no `traceparent` (most requests): nothing to tell, nothing made. */
const NO_TRACE: TraceHop = { trace: undefined, nextTry: () => NOTHING, headers: {} };

/** The request's hop in its trace; `takesPart`: traces are on. */
export function traceHopOf(headers: IncomingHttpHeaders, takesPart: boolean): TraceHop {
  const parent = traceParentOf(headers);
  const state = parent === undefined ? undefined : traceStateOf(headers);
  if (!takesPart) {
    if (parent === undefined) return NO_TRACE;
    const passed: TraceTry = {
      headers: withState(formatTraceParent(parent.traceId, parent.parentId, parent.flags), state),
      spanId: undefined,
    };
    return { trace: undefined, nextTry: () => passed, headers: passed.headers };
  }
  const trace: RequestTrace = {
    traceId: parent?.traceId ?? newTraceId(),
    spanId: newSpanId(),
    parent,
    state,
  };
  // As the tracer decides (parent-based): sampled unless the client said it was not.
  const flags = parent === undefined ? SAMPLED : parent.flags & SAMPLED;
  /** What a call under the span `spanId` tells the upstream. */
  const under = (spanId: string) =>
    withState(formatTraceParent(trace.traceId, spanId, flags), state);
  return {
    trace,
    // Made only when asked (a merged model list), not for every request.
    get headers() {
      return under(trace.spanId);
    },
    nextTry() {
      const spanId = newSpanId();
      return { headers: under(spanId), spanId };
    },
  };
}

function withState(traceparent: string, state: string | undefined): Record<string, string> {
  return state === undefined ? { traceparent } : { traceparent, tracestate: state };
}
