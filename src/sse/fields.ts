/**
 * Reading fields of one event block without decoding it: the relay asks "is this
 * `event: message_stop`?" or "does the data start with `[DONE]`?" per event, so these compare
 * bytes in place. `parseEvent` is the full, allocating reader for code off the hot path.
 */

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

/**
 * Offset where the value of the first `name:` field starts, or -1. Lines are split at LF (a CR
 * before it is part of the terminator); streams that end lines with a lone CR are read correctly
 * up to their first line only, which is where every provider puts the field that matters.
 */
export function findField(buf: Buffer, start: number, end: number, name: Uint8Array): number {
  let line = start;
  while (line < end) {
    let eol = buf.indexOf(LF, line);
    if (eol === -1 || eol > end) eol = end;
    if (
      eol - line > name.length &&
      buf[line + name.length] === COLON &&
      startsWith(buf, line, name)
    ) {
      const value = line + name.length + 1;
      return buf[value] === SPACE ? value + 1 : value;
    }
    line = eol + 1;
  }
  return -1;
}

/** `buf[start, end)` as a buffer of its own, without a new view when it already is one. */
export function slice(buf: Buffer, start: number, end: number): Buffer {
  return start === 0 && end === buf.length ? buf : buf.subarray(start, end);
}

/** The field value at `at` (from `findField`) is exactly `value`. */
export function valueIs(buf: Buffer, at: number, end: number, value: Uint8Array): boolean {
  if (at < 0 || !startsWith(buf, at, value)) return false;
  const after = at + value.length;
  return after >= end || buf[after] === LF || buf[after] === CR;
}

/** The field value at `at` (from `findField`) starts with `prefix`. */
export function valueStartsWith(buf: Buffer, at: number, prefix: Uint8Array): boolean {
  return at >= 0 && startsWith(buf, at, prefix);
}

function startsWith(buf: Buffer, at: number, bytes: Uint8Array): boolean {
  if (at + bytes.length > buf.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

export interface SseEvent {
  /** The `event:` field; `undefined` when absent (the spec's default type is `message`). */
  readonly event: string | undefined;
  /** The `data:` lines joined with LF; `undefined` when the block had none (a comment). */
  readonly data: string | undefined;
  readonly id: string | undefined;
  readonly retry: number | undefined;
  readonly comments: readonly string[];
}

/** Parses one event block per WHATWG HTML §9.2.6. */
export function parseEvent(buf: Buffer, start = 0, end = buf.length): SseEvent {
  const text = buf.toString('utf8', start, end);
  let event: string | undefined;
  let data: string[] | undefined;
  let id: string | undefined;
  let retry: number | undefined;
  const comments: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') continue;
    if (line.startsWith(':')) {
      comments.push(line.slice(1).replace(/^ /, ''));
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') (data ??= []).push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  }
  return { event, data: data?.join('\n'), id, retry, comments };
}
