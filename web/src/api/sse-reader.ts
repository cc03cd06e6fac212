/**
 * Server-sent events, incrementally (WHATWG HTML §9.2.6 "event stream interpretation"): text in,
 * event blocks out. A chunk may end anywhere — inside a line, between `\r` and `\n` — so the
 * unfinished line is kept as pieces and joined only once its end arrives: each byte is scanned
 * once, never the whole buffer again per chunk. The chat reads `data:` (`ChatEventParser`); the
 * doctor page reads every block, comments included (web/src/doctor/browser-capture.ts).
 */
import type { ChatEvent } from './types.ts';

/** One event block: its `data:` lines joined with LF, or undefined for comments only. */
export interface SseBlock {
  readonly data: string | undefined;
  readonly id: string | undefined;
}

export class SseBlockParser {
  /** The current line so far, in pieces. */
  #pieces: string[] = [];
  /** The data lines of the block being read; undefined until one arrives. */
  #data: string[] | undefined;
  #id: string | undefined;
  /** Lines of any kind in the block being read: a blank line after none ends nothing. */
  #lines = 0;
  /** The last chunk ended with `\r`: a `\n` opening the next one belongs to that line end. */
  #afterCr = false;

  /** Feeds decoded text; returns the blocks completed by it, in order. */
  push(text: string): SseBlock[] {
    const blocks: SseBlock[] = [];
    let start = 0;
    if (this.#afterCr && text.startsWith('\n')) start = 1;
    this.#afterCr = false;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#pieces.push(text.slice(start, i));
      this.#line(this.#pieces.join(''), blocks);
      this.#pieces = [];
      if (c === 13) {
        if (i + 1 === text.length) this.#afterCr = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    if (start < text.length) this.#pieces.push(text.slice(start));
    return blocks;
  }

  #line(line: string, blocks: SseBlock[]): void {
    if (line === '') {
      if (this.#lines === 0) return;
      blocks.push({ data: this.#data?.join('\n'), id: this.#id });
      this.#data = undefined;
      this.#id = undefined;
      this.#lines = 0;
      return;
    }
    this.#lines++;
    if (line.startsWith(':')) return; // a comment: a keepalive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') (this.#data ??= []).push(value);
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
  }
}

/** `/api/chat`'s events: the data of each block, comments (keepalives) and unknown types skipped. */
export class ChatEventParser {
  readonly #blocks = new SseBlockParser();

  /** Feeds decoded text; returns the events completed by it, in order. */
  push(text: string): ChatEvent[] {
    const events: ChatEvent[] = [];
    for (const block of this.#blocks.push(text)) {
      const event = block.data === undefined ? undefined : toChatEvent(block.data);
      if (event !== undefined) events.push(event);
    }
    return events;
  }
}

const TYPES = new Set(['start', 'delta', 'reasoning', 'done', 'error']);

/** One event's JSON, or undefined for anything this page does not know (ignored, not fatal). */
export function toChatEvent(data: string): ChatEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const type = (parsed as { type?: unknown }).type;
  if (typeof type !== 'string' || !TYPES.has(type)) return undefined;
  if (
    (type === 'delta' || type === 'reasoning') &&
    typeof (parsed as { text?: unknown }).text !== 'string'
  )
    return undefined;
  return parsed as ChatEvent;
}
