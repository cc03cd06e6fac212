/**
 * Characters a terminal acts on or that reorder what it shows: the C0 and C1 controls (U+009B is
 * an escape sequence's introducer, like ESC [) and Unicode's direction and line controls (an RTL
 * override shows a line's end at its start). Request paths and model names are the client's: a
 * log line or a CLI table read in a terminal must not carry their escape sequences or spoof its
 * own fields. Each becomes a visible `\uXXXX`.
 */
const DIRECTION = '\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
/** What JSON.stringify leaves as it is (it escapes C0 itself). */
const INVISIBLE_IN_JSON = new RegExp(`[\\x7f-\\x9f${DIRECTION}]`, 'g');
const UNPRINTABLE = new RegExp(`[\\x00-\\x1f\\x7f-\\x9f${DIRECTION}]`, 'g');

/** JSON text with those characters escaped: the same JSON value, safe to print. */
export function escapeInvisible(json: string): string {
  return escapeAll(INVISIBLE_IN_JSON, json);
}

/** Any text, safe to print in a terminal (a table cell). */
export function printable(text: string): string {
  return escapeAll(UNPRINTABLE, text);
}

/** Whether `text` holds a character `escapeInvisible` would escape. */
export function hasInvisible(text: string): boolean {
  INVISIBLE_IN_JSON.lastIndex = 0;
  return INVISIBLE_IN_JSON.test(text);
}

function escapeAll(pattern: RegExp, text: string): string {
  pattern.lastIndex = 0;
  return pattern.test(text)
    ? text.replace(pattern, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : text;
}

const UNPRINTABLE_BUT_LINES = new RegExp(`[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f${DIRECTION}]`, 'g');

/** Lines of text (a report), safe to print in a terminal: its tabs and newlines kept. */
export function printableLines(text: string): string {
  return escapeAll(UNPRINTABLE_BUT_LINES, text);
}
