/**
 * Small hand-made timelines for the doctor's classification tests: say when each probe event was
 * sent and when it arrived, and the builder fills in reads (events arriving together share one
 * read), headers and the end the way `capture` records them.
 */
import type {
  EventRecord,
  ProbeShape,
  ReadRecord,
  StreamEnd,
  Timeline,
} from '../../../src/doctor/index.ts';

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  'x-sluice-probe': '1',
  'transfer-encoding': 'chunked',
};

export interface ProbeTimelineOptions {
  readonly probe: ProbeShape;
  /** Arrival time of each event, in order of seq; fewer than probe.events for a cut stream. */
  readonly arrivals: readonly number[];
  /** Send times; default: the probe's schedule (seq × interval, plus the silence after the first). */
  readonly sends?: readonly number[];
  /** Bytes per event (default: 80 + pad). */
  readonly bytes?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Default: 2 ms, or with the first event when it is earlier. */
  readonly headersMs?: number;
  /** Default: `done` right after the last arrival when all events came. */
  readonly end?: StreamEnd;
  readonly startedEpochMs?: number;
  /** Server wall clock at its stream start (default: startedEpochMs + 1). */
  readonly serverEpochMs?: number;
  /** Extra reads (keepalives, gzip headers) at these times, without events. */
  readonly emptyReads?: readonly number[];
}

export function scheduleOf(probe: ProbeShape): number[] {
  return Array.from(
    { length: probe.events },
    (_, n) => n * probe.intervalMs + (n >= 1 ? probe.silenceMs : 0),
  );
}

export function probeTimeline(options: ProbeTimelineOptions): Timeline {
  const { probe, arrivals } = options;
  const sends = options.sends ?? scheduleOf(probe);
  const bytes = options.bytes ?? 80 + probe.pad;
  const startedEpochMs = options.startedEpochMs ?? 1_800_000_000_000;
  const serverEpoch = options.serverEpochMs ?? startedEpochMs + 1;

  const marks = [
    ...arrivals.map((t, seq) => ({ t, seq })),
    ...(options.emptyReads ?? []).map((t) => ({ t, seq: -1 })),
  ].sort((a, b) => a.t - b.t);
  const reads: ReadRecord[] = [];
  const events: EventRecord[] = [];
  for (const mark of marks) {
    const last = reads.at(-1);
    const sameRead = last !== undefined && Math.abs(last.t - mark.t) < 0.5 && mark.seq >= 0;
    const size = mark.seq >= 0 ? bytes : 10;
    if (sameRead) reads[reads.length - 1] = { t: last.t, bytes: last.bytes + size };
    else reads.push({ t: mark.t, bytes: size });
    if (mark.seq >= 0) {
      const sent = sends[mark.seq] ?? 0;
      events.push({
        t: mark.t,
        read: reads.length - 1,
        bytes,
        seq: mark.seq,
        sentMs: sent,
        epochMs: serverEpoch + sent,
      });
    }
  }
  const lastArrival = arrivals.at(-1) ?? 0;
  const complete = arrivals.length === probe.events;
  const end = options.end ?? { kind: complete ? 'done' : 'eof', t: lastArrival + 0.5 };
  const headersMs = options.headersMs ?? Math.min(2, arrivals[0] ?? 2);
  return {
    url: 'http://127.0.0.1:8080/sluice/probe',
    mode: 'probe',
    probe,
    startedEpochMs,
    phases: { connectMs: 0.5, headersMs, firstByteMs: headersMs },
    status: 200,
    headers: options.headers ?? SSE_HEADERS,
    reads,
    events,
    comments: [],
    ...(end.kind === 'done' ? { doneMs: end.t } : {}),
    end,
  };
}

export interface ChatTimelineOptions {
  readonly arrivals: readonly number[];
  readonly bytes?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly headersMs?: number;
  readonly connectMs?: number;
  readonly done?: boolean;
  readonly status?: number;
  readonly bodyHead?: string;
  /** An in-band error on the last event. */
  readonly error?: string;
}

/** A `--key` mode timeline: arrivals only, no send times. */
export function chatTimeline(options: ChatTimelineOptions): Timeline {
  const probeLike = probeTimeline({
    probe: { events: options.arrivals.length, intervalMs: 0, pad: 0, silenceMs: 0 },
    arrivals: options.arrivals,
    bytes: options.bytes ?? 150,
    headers: options.headers ?? {
      'content-type': 'text/event-stream',
      'transfer-encoding': 'chunked',
    },
    ...(options.headersMs === undefined ? {} : { headersMs: options.headersMs }),
  });
  const last = options.arrivals.length - 1;
  const events = probeLike.events.map((e) => {
    const { sentMs: _sent, epochMs: _epoch, ...rest } = e;
    return e.seq === last && options.error !== undefined ? { ...rest, error: options.error } : rest;
  });
  const endT = (options.arrivals.at(-1) ?? 0) + 0.5;
  const done = options.done ?? options.error === undefined;
  const { probe: _probe, doneMs: _done, ...rest } = probeLike;
  return {
    ...rest,
    url: 'http://127.0.0.1:8080/v1/chat/completions',
    mode: 'chat',
    phases: { ...probeLike.phases, connectMs: options.connectMs ?? 0.5 },
    status: options.status ?? 200,
    events,
    ...(done ? { doneMs: endT } : {}),
    end: { kind: done ? 'done' : 'eof', t: endT },
    ...(options.bodyHead === undefined ? {} : { bodyHead: options.bodyHead }),
  };
}

/** `count` evenly spaced numbers from `start`, `step` apart. */
export function steps(count: number, start: number, step: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i * step);
}
