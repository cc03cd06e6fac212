/**
 * Two stream translations in a row: the first's output (client-dialect SSE text) read, event by
 * event, as the second's input. A Responses client of an Anthropic upstream goes through Chat
 * Completions, the one format both translations know: Messages → Chat → Responses.
 */
import { parseEvent } from '../../sse/index.ts';
import type { StreamTranslator } from './types.ts';

export function chainTranslators(
  first: StreamTranslator,
  second: StreamTranslator,
): StreamTranslator {
  const pass = (text: string): string => {
    let out = '';
    for (const block of text.split('\n\n')) {
      if (block === '') continue;
      const event = parseEvent(Buffer.from(block));
      if (event.data !== undefined) out += second.event(event.event, event.data);
    }
    return out;
  };
  return {
    event: (name, data) => pass(first.event(name, data)),
    end: () => pass(first.end()) + second.end(),
    get failure() {
      return first.failure ?? second.failure;
    },
  };
}
