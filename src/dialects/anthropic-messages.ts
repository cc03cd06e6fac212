import { findField, formatEvent, parseEvent, valueIs } from '../sse/index.ts';
import type { Dialect } from './types.ts';
import { anthropicError } from './error-shapes.ts';
import { anthropicUsage, isObject, usageFound } from './usage.ts';

const EVENT = Buffer.from('event');
const DATA = Buffer.from('data');
const MESSAGE_START = Buffer.from('message_start');
const MESSAGE_DELTA = Buffer.from('message_delta');
const MESSAGE_STOP = Buffer.from('message_stop');
const ERROR = Buffer.from('error');

/**
 * Anthropic Messages streams: named events (`message_start` … `message_stop`, `ping`), errors
 * as `event: error`. Errors are Anthropic-shaped, with OpenAI's `code` alongside. Usage comes
 * in `message_start` and, cumulatively, in `message_delta`.
 */
export const anthropicMessages: Dialect = {
  name: 'anthropic-messages',
  hasTerminal: true,
  classify(buf, start, end) {
    const name = findField(buf, start, end, EVENT);
    if (name === -1) return findField(buf, start, end, DATA) === -1 ? 'comment' : 'data';
    if (valueIs(buf, name, end, MESSAGE_STOP)) return 'done';
    if (valueIs(buf, name, end, ERROR)) return 'error';
    return 'data';
  },
  errorEvent(error) {
    return formatEvent({
      event: 'error',
      data: JSON.stringify({ type: 'error', error: anthropicError(error) }),
    });
  },
  errorBody(error) {
    return { type: 'error', error: anthropicError(error) };
  },

  // Sluice never asks an Anthropic upstream for usage (it always reports it): nothing to hide.
  scanUsage(buf, start, end, previous) {
    const name = findField(buf, start, end, EVENT);
    const isStart = valueIs(buf, name, end, MESSAGE_START);
    if (!isStart && !valueIs(buf, name, end, MESSAGE_DELTA)) return undefined;
    try {
      const event: unknown = JSON.parse(parseEvent(buf, start, end).data ?? '');
      if (!isObject(event)) return undefined;
      const usage = isStart && isObject(event.message) ? event.message.usage : event.usage;
      return usageFound(anthropicUsage(usage, previous));
    } catch {
      return undefined;
    }
  },
  bodyUsage(body) {
    return isObject(body) ? anthropicUsage(body.usage) : undefined;
  },
  textFields: ['text', 'thinking', 'partial_json'],
  requestUsage: () => false,
};
