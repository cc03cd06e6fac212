/** One parsed SSE event as the doctor records it: the probe's numbers read from its data. */
import type { SseEvent } from '../sse/index.ts';
import { requestViewOf } from './request-view.ts';
import type { CaptureMode, EventRecord } from './timeline.ts';

/** `data: …\n` plus the blank line; an `id: …\n` line when present. */
const DATA_FRAMING = 'data: \n\n'.length;
const ID_FRAMING = 'id: \n'.length;

export function eventRecord(
  event: SseEvent,
  t: number,
  read: number,
  index: number,
  mode: CaptureMode,
): EventRecord {
  const data = event.data ?? '';
  const bytes =
    Buffer.byteLength(data) +
    DATA_FRAMING +
    (event.id === undefined ? 0 : Buffer.byteLength(event.id) + ID_FRAMING);
  const base = { t, read: Math.max(0, read), bytes, seq: index };
  const parsed = parseObject(data);
  if (mode !== 'probe') {
    const error = inBandError(parsed);
    if (error === undefined) return base;
    const message = error['message'];
    return { ...base, error: typeof message === 'string' ? message : JSON.stringify(error) };
  }
  const probe = parsed === undefined ? undefined : probeFields(parsed);
  return probe === undefined ? base : { ...base, ...probe };
}

/**
 * An error in an answer's stream: `{"error": {…}}` (Chat, and Anthropic's `error` event), the
 * Responses API's `error` event (its fields at the top) and its `response.failed`.
 */
function inBandError(
  parsed: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (parsed === undefined) return undefined;
  const error =
    parsed['type'] === 'response.failed' && isRecord(parsed['response'])
      ? parsed['response']['error']
      : parsed['error'];
  if (isRecord(error)) return error;
  return parsed['type'] === 'error' ? parsed : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function parseObject(data: string): Record<string, unknown> | undefined {
  if (!data.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(data);
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `{"seq":n,"elapsed_ms":…,"t":…}` from a probe event, or undefined if it is not one; the first
 * event's `request` too (what the hops did to the request).
 */
function probeFields(
  parsed: Record<string, unknown>,
): Pick<EventRecord, 'seq' | 'sentMs' | 'epochMs' | 'request'> | undefined {
  const { seq, elapsed_ms: sentMs, t: epochMs } = parsed;
  if (typeof seq !== 'number' || typeof sentMs !== 'number') return undefined;
  const request = requestViewOf(parsed['request']);
  return {
    seq,
    sentMs,
    ...(typeof epochMs === 'number' ? { epochMs } : {}),
    ...(request === undefined ? {} : { request }),
  };
}
