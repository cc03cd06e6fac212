import { findField, formatEvent, parseEvent, valueIs } from '../sse/index.ts';
import type { Dialect } from './types.ts';
import { openaiError } from './error-shapes.ts';
import { atTier, isObject, responsesUsage, usageFound } from './usage.ts';

const EVENT = Buffer.from('event');
const DATA = Buffer.from('data');
const COMPLETED = Buffer.from('response.completed');
const INCOMPLETE = Buffer.from('response.incomplete');
const FAILED = Buffer.from('response.failed');
const ERROR = Buffer.from('error');

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
  scanUsage(buf, start, end) {
    const name = findField(buf, start, end, EVENT);
    const final =
      valueIs(buf, name, end, COMPLETED) ||
      valueIs(buf, name, end, INCOMPLETE) ||
      valueIs(buf, name, end, FAILED);
    if (!final) return undefined;
    try {
      const event: unknown = JSON.parse(parseEvent(buf, start, end).data ?? '');
      return isObject(event) && isObject(event.response)
        ? usageFound(atTier(responsesUsage(event.response.usage), event.response.service_tier))
        : undefined;
    } catch {
      return undefined;
    }
  },
  bodyUsage(body) {
    return isObject(body) ? atTier(responsesUsage(body.usage), body.service_tier) : undefined;
  },
  textFields: ['delta'],
  requestUsage: () => false,
};
