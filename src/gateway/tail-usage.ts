/**
 * The usage of a whole JSON answer too long to be held and parsed (a batch of embeddings runs
 * to tens of MiB): the last `"usage": {…}` in the answer's tail, where providers write it. In
 * valid JSON an unescaped `"usage"` before a colon is a key: inside a string it is `\"usage\"`.
 */
const KEY = /"usage"\s*:\s*\{/g;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/** `{usage}` as the answer's tail says it, for the dialect's `bodyUsage`; undefined if not there. */
export function usageInTail(tail: string): { usage: unknown } | undefined {
  let from = -1;
  for (const match of tail.matchAll(KEY)) from = match.index + match[0].length - 1;
  if (from === -1) return undefined;
  const to = objectEnd(tail, from);
  if (to === -1) return undefined;
  try {
    return { usage: JSON.parse(tail.slice(from, to)) as unknown };
  } catch {
    return undefined;
  }
}

/** The index just past the object that opens at `text[from]`, strings skipped; -1 if unclosed. */
function objectEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++)
        if (text.charCodeAt(i) === BACKSLASH) i++;
    } else if (c === OPEN) depth++;
    else if (c === CLOSE && --depth === 0) return i + 1;
  }
  return -1;
}
