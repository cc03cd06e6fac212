import { findField, formatEvent, parseEvent, slice, valueStartsWith } from '../sse/index.ts';
import type { Dialect } from './types.ts';
import { openaiError } from './error-shapes.ts';
import { isObject, openaiUsage } from './usage.ts';

const DATA = Buffer.from('data');
const DONE = Buffer.from('[DONE]');
const ERROR_OBJECT = Buffer.from('{"error"');
const USAGE_OBJECT = Buffer.from('"usage":{');
/** With `include_usage`, OpenAI adds `"usage":null` to every chunk but the last. */
const USAGE_NULLS = [Buffer.from(',"usage":null'), Buffer.from('"usage":null,')];

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
    if (valueStartsWith(buf, data, ERROR_OBJECT)) return 'error';
    return 'data';
  },
  errorEvent(error) {
    return formatEvent({ data: JSON.stringify({ error: openaiError(error) }) });
  },
  errorBody(error) {
    return { error: openaiError(error) };
  },

  readUsage(buf, start, end) {
    if (slice(buf, start, end).indexOf(USAGE_OBJECT) === -1) return undefined;
    return openaiUsage(chunkOf(buf, start, end)?.usage);
  },
  bodyUsage(body) {
    return isObject(body) ? openaiUsage(body.usage) : undefined;
  },
  textFields: ['content', 'reasoning_content', 'refusal', 'arguments', 'text'],
  requestUsage(body) {
    if (body.stream !== true) return false;
    const options = isObject(body.stream_options) ? body.stream_options : {};
    if (options.include_usage === true) return false;
    body.stream_options = { ...options, include_usage: true };
    return true;
  },
  hideUsage(buf, start, end) {
    const event = slice(buf, start, end);
    if (event.indexOf(USAGE_OBJECT) !== -1) {
      const chunk = chunkOf(buf, start, end);
      if (chunk === undefined) return undefined;
      if (Array.isArray(chunk.choices) && chunk.choices.length === 0) return null;
      delete chunk.usage;
      return Buffer.from(formatEvent({ data: JSON.stringify(chunk) }));
    }
    return withoutAll(event, USAGE_NULLS);
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

/** `event` with every occurrence of the patterns cut out; `undefined` when there is none. */
function withoutAll(event: Buffer, patterns: readonly Buffer[]): Buffer | undefined {
  // The common case, once per event: nothing to cut, nothing allocated (not even a closure).
  let found = false;
  for (const pattern of patterns) found ||= event.indexOf(pattern) !== -1;
  if (!found) return undefined;
  const cuts: [number, number][] = [];
  for (const pattern of patterns) {
    for (
      let at = event.indexOf(pattern);
      at !== -1;
      at = event.indexOf(pattern, at + pattern.length)
    ) {
      cuts.push([at, at + pattern.length]);
    }
  }
  cuts.sort((a, b) => a[0] - b[0]);
  const parts: Buffer[] = [];
  let from = 0;
  for (const [cutStart, cutEnd] of cuts) {
    if (cutStart < from) continue;
    parts.push(event.subarray(from, cutStart));
    from = cutEnd;
  }
  parts.push(event.subarray(from));
  return Buffer.concat(parts);
}
