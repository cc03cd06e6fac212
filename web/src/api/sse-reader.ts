/**
 * Server-sent events → chat events, incrementally (WHATWG HTML §9.2.6 "event stream
 * interpretation", restricted to what `/api/chat` sends: `data:` lines and `:` comments). A
 * chunk may end anywhere — inside a line, between `\r` and `\n` — so the unfinished line is
 * kept as pieces and joined only once its end arrives: each byte is scanned once, never the
 * whole buffer again per chunk.
 */
import type { ChatEvent } from './types.ts';

export class ChatEventParser {
  /** The current line so far, in pieces. */
  #pieces: string[] = [];
  /** The data lines of the event being read. */
  #data: string[] = [];
  /** The last chunk ended with `\r`: a `\n` opening the next one belongs to that line end. */
  #afterCr = false;

  /** Feeds decoded text; returns the events completed by it, in order. */
  push(text: string): ChatEvent[] {
    const events: ChatEvent[] = [];
    let start = 0;
    if (this.#afterCr && text.startsWith('\n')) start = 1;
    this.#afterCr = false;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#pieces.push(text.slice(start, i));
      this.#line(this.#pieces.join(''), events);
      this.#pieces = [];
      if (c === 13) {
        if (i + 1 === text.length) this.#afterCr = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    if (start < text.length) this.#pieces.push(text.slice(start));
    return events;
  }

  #line(line: string, events: ChatEvent[]): void {
    if (line === '') {
      if (this.#data.length === 0) return;
      const event = toChatEvent(this.#data.join('\n'));
      this.#data = [];
      if (event !== undefined) events.push(event);
      return;
    }
    if (line.startsWith(':')) return; // a comment: the server's keepalive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.#data.push(value);
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
