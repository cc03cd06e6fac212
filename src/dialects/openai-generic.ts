import { findField, formatEvent, parseEvent, slice, valueIs } from '../sse/index.ts';
import type { Dialect } from './types.ts';
import type { TokenUsage } from './usage.ts';
import { openaiError } from './error-shapes.ts';
import { isErrorObject } from './error-object.ts';
import { durationUsage, isObject, openaiUsage, responsesUsage, usageFound } from './usage.ts';

const EVENT = Buffer.from('event');
const DATA = Buffer.from('data');
const ERROR = Buffer.from('error');
const USAGE = Buffer.from('"usage":{');

/**
 * Every other OpenAI endpoint (models, embeddings, images, audio, files, …). Their streams, if
 * any, have no terminal event Sluice relies on, so the end of the body is the end of the stream.
 * An in-band error is `event: error`, which the official SDKs raise.
 */
export const openaiGeneric: Dialect = {
  name: 'openai',
  hasTerminal: false,
  classify(buf, start, end) {
    const data = findField(buf, start, end, DATA);
    if (data === -1) return 'comment';
    if (valueIs(buf, findField(buf, start, end, EVENT), end, ERROR)) return 'error';
    return isErrorObject(buf, data) ? 'error' : 'data';
  },
  errorEvent(error) {
    return formatEvent({ event: 'error', data: JSON.stringify({ error: openaiError(error) }) });
  },
  errorBody(error) {
    return { error: openaiError(error) };
  },

  // A streamed transcription reports its usage in its last event (`transcript.text.done`), as
  // its whole answer would in its body; streamed images likewise (`image_generation.completed`).
  scanUsage(buf, start, end) {
    if (!slice(buf, start, end).includes(USAGE)) return undefined;
    try {
      const event: unknown = JSON.parse(parseEvent(buf, start, end).data ?? '');
      return usageFound(bodyUsage(event));
    } catch {
      return undefined;
    }
  },
  bodyUsage,
  textFields: [],
  requestUsage: () => false,
};

/**
 * Embeddings report `prompt_tokens`; images and transcriptions `input_tokens`/`output_tokens`;
 * whisper-1 the audio's duration.
 */
function bodyUsage(body: unknown): TokenUsage | undefined {
  if (!isObject(body)) return undefined;
  const { usage } = body;
  if (isObject(usage) && usage.type === 'duration') return durationUsage(usage.seconds);
  return isObject(usage) && 'input_tokens' in usage ? responsesUsage(usage) : openaiUsage(usage);
}
