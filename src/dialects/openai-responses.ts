import { findField, formatEvent, parseEvent, valueIs } from '../sse/index.ts';
import type { Dialect, UsageScan } from './types.ts';
import { openaiError } from './error-shapes.ts';
import {
  isObject,
  isWebSearch,
  NO_USAGE,
  responseUsage,
  type TokenUsage,
  usageFound,
  withSearches,
} from './usage.ts';

const EVENT = Buffer.from('event');
const DATA = Buffer.from('data');
const COMPLETED = Buffer.from('response.completed');
const INCOMPLETE = Buffer.from('response.incomplete');
const FAILED = Buffer.from('response.failed');
const ERROR = Buffer.from('error');
const ITEM_DONE = Buffer.from('response.output_item.done');
const WEB_SEARCH_CALL = Buffer.from('"web_search_call"');

/**
 * OpenAI Responses streams: named events whose data repeats the name in `type`, numbered by
 * `sequence_number` from 0. No `[DONE]`: a stream ends at `response.completed` or
 * `response.incomplete`, or fails with `response.failed` / `error`. Usage rides on the final
 * response object of those last events.
 */
export const openaiResponses: Dialect = {
  name: 'openai-responses',
  hasTerminal: true,
  classify(buf, start, end) {
    const name = findField(buf, start, end, EVENT);
    if (name === -1) return findField(buf, start, end, DATA) === -1 ? 'comment' : 'data';
    if (valueIs(buf, name, end, COMPLETED) || valueIs(buf, name, end, INCOMPLETE)) return 'done';
    if (valueIs(buf, name, end, FAILED) || valueIs(buf, name, end, ERROR)) return 'error';
    return 'data';
  },
  errorEvent(error, eventsSoFar) {
    const { message, code, param } = openaiError(error);
    const data = { type: 'error', code, message, param, sequence_number: eventsSoFar };
    return formatEvent({ event: 'error', data: JSON.stringify(data) });
  },
  errorBody(error) {
    return { error: openaiError(error) };
  },

  // Sluice never asks a Responses upstream for usage (it always reports it): nothing to hide.
  scanUsage(buf, start, end, previous) {
    const name = findField(buf, start, end, EVENT);
    if (valueIs(buf, name, end, ITEM_DONE)) return searchDone(buf, start, end, previous);
    const final =
      valueIs(buf, name, end, COMPLETED) ||
      valueIs(buf, name, end, INCOMPLETE) ||
      valueIs(buf, name, end, FAILED);
    if (!final) return undefined;
    try {
      const event: unknown = JSON.parse(parseEvent(buf, start, end).data ?? '');
      return isObject(event) && isObject(event.response)
        ? usageFound(responseUsage(event.response))
        : undefined;
    } catch {
      return undefined;
    }
  },
  bodyUsage(body) {
    return isObject(body) ? responseUsage(body) : undefined;
  },
  textFields: ['delta'],
  requestUsage: () => false,
};

/**
 * A web search finished mid-stream: counted at once, so a stream cut before its final report
 * still pays for the searches it ran (the final report counts them all again). Only items that
 * name a web search call are parsed.
 */
function searchDone(
  buf: Buffer,
  start: number,
  end: number,
  previous: TokenUsage | undefined,
): UsageScan {
  const at = buf.indexOf(WEB_SEARCH_CALL, start);
  if (at === -1 || at >= end) return undefined;
  try {
    const event: unknown = JSON.parse(parseEvent(buf, start, end).data ?? '');
    if (!isObject(event) || !isWebSearch(event.item)) return undefined;
  } catch {
    return undefined;
  }
  const usage = previous ?? NO_USAGE;
  return usageFound(withSearches(usage, (usage.searches ?? 0) + 1));
}
