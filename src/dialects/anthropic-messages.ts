import { findField, valueIs } from '../sse/index.ts';
import { formatEvent } from '../sse/index.ts';
import type { Dialect } from './types.ts';
import { anthropicError } from './error-shapes.ts';

const EVENT = Buffer.from('event');
const DATA = Buffer.from('data');
const MESSAGE_STOP = Buffer.from('message_stop');
const ERROR = Buffer.from('error');

/**
 * Anthropic Messages streams: named events (`message_start` … `message_stop`, `ping`), errors
 * as `event: error`. Errors are Anthropic-shaped, with OpenAI's `code` alongside.
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
};
