import { findField, valueStartsWith } from '../sse/index.ts';
import { formatEvent } from '../sse/index.ts';
import type { Dialect } from './types.ts';
import { openaiError } from './error-shapes.ts';

const DATA = Buffer.from('data');
const DONE = Buffer.from('[DONE]');
const ERROR_OBJECT = Buffer.from('{"error"');

/**
 * OpenAI Chat Completions (and legacy Completions) streams: unnamed `data:` events of JSON
 * chunks, ended by `data: [DONE]`; an error mid-stream is `data: {"error": {…}}`.
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
};
