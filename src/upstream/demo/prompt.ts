/**
 * The text of a request, read leniently: all three wire formats carry messages as
 * `{role, content}` where content is a string or an array of parts with a `text` field
 * (`text`, `input_text`), so one reader serves them all. Anything else counts as no text.
 */

export interface Prompt {
  /** The last user message as plain text ('' when there is none). */
  readonly lastUser: string;
  /** Every piece of text in the request, for the input-token estimate. */
  readonly allText: string;
}

/**
 * @param messages the request's message list (`messages`, or `input` as an array)
 * @param extras other text-bearing fields (`system`, `instructions`)
 */
export function readPrompt(messages: unknown, ...extras: readonly unknown[]): Prompt {
  const texts = extras.map(textOf);
  let lastUser = '';
  for (const message of Array.isArray(messages) ? (messages as unknown[]) : []) {
    if (!isRecord(message)) continue;
    const text = textOf(message.content);
    texts.push(text);
    if (message.role === 'user') lastUser = text;
  }
  return { lastUser, allText: texts.filter((t) => t !== '').join('\n') };
}

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as unknown[])
    .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
