import { findField, formatEvent, parseEvent, slice, valueStartsWith } from '../sse/index.ts';
import type { Dialect, EventEdit, UsageScan } from './types.ts';
import { openaiError } from './error-shapes.ts';
import { isErrorObject } from './error-object.ts';
import { atTier, isObject, openaiUsage } from './usage.ts';

const DATA = Buffer.from('data');
const DONE = Buffer.from('[DONE]');
const USAGE_KEY = Buffer.from('"usage":');
const NULL = Buffer.from('null');
const OPEN_BRACE = 0x7b;
const COMMA = 0x2c;
/** `"usage":null` and the comma that separates it from a neighbour. */
const NULL_FIELD = USAGE_KEY.length + NULL.length + 1;
const DROP: EventEdit = Object.freeze({ kind: 'drop' });

/**
 * OpenAI Chat Completions (and legacy Completions) streams: unnamed `data:` events of JSON
 * chunks, ended by `data: [DONE]`; an error mid-stream is `data: {"error": {…}}`. Usage comes
 * only with `stream_options.include_usage`, in a last chunk with `choices: []` (some compatible
 * servers put it on the finishing chunk instead).
 */
export const openaiChat: Dialect = {
  name: 'openai-chat',
  hasTerminal: true,
  classify(buf, start, end) {
    const data = findField(buf, start, end, DATA);
    if (data === -1) return 'comment';
    if (valueStartsWith(buf, data, DONE)) return 'done';
    if (isErrorObject(buf, data)) return 'error';
    return 'data';
  },
  errorEvent(error) {
    return formatEvent({ data: JSON.stringify({ error: openaiError(error) }) });
  },
  errorBody(error) {
    return { error: openaiError(error) };
  },

  scanUsage(buf, start, end, _previous, hide) {
    return scanChatUsage(slice(buf, start, end), hide);
  },
  bodyUsage(body) {
    return isObject(body) ? atTier(openaiUsage(body.usage), body.service_tier) : undefined;
  },
  textFields: ['content', 'reasoning_content', 'refusal', 'arguments', 'text'],
  requestUsage(body) {
    if (body.stream !== true) return false;
    const options = isObject(body.stream_options) ? body.stream_options : {};
    if (options.include_usage === true) return false;
    body.stream_options = { ...options, include_usage: true };
    return true;
  },
};

function chunkOf(buf: Buffer, start: number, end: number): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(parseEvent(buf, start, end).data ?? '');
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One pass over the event's `"usage":` keys (JSON escapes quotes inside strings, so the bytes
 * occur only as a key). `"usage":{` is the report: the chunk is parsed, once, for it — and, to
 * hide it, dropped when it has no choices (OpenAI's own last chunk) or written again without it
 * (a compatible server's finishing chunk). `"usage":null`, which `include_usage` puts on every
 * other chunk, is cut out with its comma: nothing parsed, nothing copied here.
 */
function scanChatUsage(event: Buffer, hide: boolean): UsageScan {
  let cut: EventEdit | undefined;
  for (let at = event.indexOf(USAGE_KEY); at !== -1; at = event.indexOf(USAGE_KEY, at + 1)) {
    const value = at + USAGE_KEY.length;
    if (event[value] === OPEN_BRACE) return reported(event, hide);
    if (!hide || !isNullAt(event, value)) continue;
    // A second `"usage":null` in one chunk (never seen): written again without the key.
    if (cut !== undefined) return reported(event, hide);
    if (event[at - 1] === COMMA) cut = { kind: 'cut', from: at - 1, to: at + NULL_FIELD - 1 };
    else if (event[value + NULL.length] === COMMA)
      cut = { kind: 'cut', from: at, to: at + NULL_FIELD };
    // `{"usage":null}` has no comma to take with it: kept as it is.
  }
  return cut;
}

/** A chunk that must be parsed: it reports usage, or hides it where bytes cannot be cut. */
function reported(event: Buffer, hide: boolean): UsageScan {
  const chunk = chunkOf(event, 0, event.length);
  const usage = atTier(openaiUsage(chunk?.usage), chunk?.service_tier);
  let edit: EventEdit | undefined;
  if (hide && chunk !== undefined && 'usage' in chunk) {
    if (Array.isArray(chunk.choices) && chunk.choices.length === 0) edit = DROP;
    else {
      delete chunk.usage;
      edit = { kind: 'replace', bytes: Buffer.from(formatEvent({ data: JSON.stringify(chunk) })) };
    }
  }
  return usage === undefined ? edit : { kind: 'usage', usage, edit };
}

/** Byte by byte: `Buffer.compare` validates its arguments at a cost several times this. */
function isNullAt(event: Buffer, at: number): boolean {
  return (
    event[at] === NULL[0] &&
    event[at + 1] === NULL[1] &&
    event[at + 2] === NULL[2] &&
    event[at + 3] === NULL[3]
  );
}
