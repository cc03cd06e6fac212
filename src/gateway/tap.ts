/**
 * What the relay learns from the events it passes on, without holding them: how many, whether
 * the terminal or an error event came, the usage the upstream reported, and — in case it
 * reports none — the generated text, for an estimate. It also says how to hide usage the
 * client did not ask for (Sluice asks the upstream for it regardless): `onEvent` returns the
 * event's edit, which the relay applies as it frames the chunk (`ChunkEdits`).
 */
import type { Dialect, EventEdit, TokenUsage } from '../dialects/index.ts';
import { parseEvent, slice } from '../sse/index.ts';
import { withoutAccountIds } from './account-ids.ts';
import { codeObjectsIn, type ObjectRef } from './ownership.ts';
import { usageInTail } from './tail-usage.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Enough text for a fair estimate of any answer; beyond it, only bytes are counted. */
const MAX_CAPTURE = 1024 * 1024;
/**
 * The text is kept in blocks of this size, filled in turn: a buffer that doubled as it grew
 * left its smaller copies behind, and for a stream's length they outlive the young generation
 * (a few KiB per stream of garbage that waits for a full collection).
 */
const BLOCK = 1024;
/**
 * Largest whole JSON response parsed; of a longer one (a batch of embeddings) only the last
 * `TAIL` bytes are kept, for the usage written there.
 */
const MAX_BODY = 8 * 1024 * 1024;
const TAIL = 64 * 1024;

export class EventTap {
  readonly #dialect: Dialect;
  readonly #hideUsage: boolean;
  readonly #fields: readonly Buffer[];
  /**
   * Generated text as it came (JSON-escaped), appended in place: no allocation per event. Not
   * from Buffer's pool: kept for the whole stream, a slice would hold a 64 KiB pool slab.
   */
  readonly #blocks: Buffer[] = [];
  #textBytes = 0;

  events = 0;
  /**
   * An event carried generated content (text, reasoning, tool-call arguments): a non-empty
   * value of one of the dialect's text fields. The first one is the time to first token.
   */
  sawContent = false;
  sawTerminal = false;
  sawErrorEvent = false;
  /** The last event was an error event (which a translation words again: `TranslatingSink`). */
  lastWasError = false;
  usage: TokenUsage | undefined;
  /** The whole JSON answer, parsed, once it has ended (answers up to `MAX_BODY`). */
  json: unknown;
  /** The `id` in the first event, when asked for (`watchId`): a stored response's, say. */
  firstId: string | undefined;
  /** With `watchId`: the ids of the items a stored response's stream adds to its output. */
  readonly itemIds: string[] = [];
  /** With `watchCode`: what running code made, as a stream's events name it (`codeObjectsIn`). */
  readonly codeObjects: ObjectRef[] = [];
  #watchId = false;
  #watchCode = false;
  #watchItems = false;
  #body: Buffer[] | undefined;
  #bodyBytes = 0;
  /** Bytes in `#body`: all of them, or past `MAX_BODY` the tail's. */
  #heldBodyBytes = 0;

  constructor(dialect: Dialect, hideUsage: boolean) {
    this.#dialect = dialect;
    this.#hideUsage = hideUsage;
    this.#fields = fieldPatterns(dialect);
  }

  /**
   * One complete event block `buf[start, end)`. Returns how the client gets it when usage is
   * hidden from it (offsets within the event); `undefined`: as it came.
   */
  onEvent(buf: Buffer, start: number, end: number): EventEdit | undefined {
    const dialect = this.#dialect;
    // One view of the event for every question asked of it (no view per question).
    const event = slice(buf, start, end);
    const kind = dialect.classify(event, 0, event.length);
    this.lastWasError = kind === 'error';
    if (kind === 'comment') return undefined;
    this.events++;
    if (kind === 'done') this.sawTerminal = true;
    else if (kind === 'error') this.sawErrorEvent = true;
    else if (this.#watchId) {
      this.#watchId = false;
      this.firstId = firstId(event);
    } else if (this.#watchItems && event.includes(ITEM_ADDED)) this.#itemAdded(event);
    if (
      this.#watchCode &&
      kind !== 'error' &&
      (event.includes(CONTAINER) || event.includes(CODE_OUTPUT))
    )
      this.#codeObjectsNamed(event);
    if (this.#fields.length > 0) this.#capture(event);
    // One scan for usage: what it reports and, hidden, what the client gets instead.
    const found = dialect.scanUsage(event, 0, event.length, this.usage, this.#hideUsage);
    let edit: EventEdit | undefined;
    if (found?.kind === 'usage') {
      this.usage = found.usage;
      // A stream with no final event of its own (a streamed transcription) reports its usage
      // last, as a whole answer does in its body: that report is final.
      if (!dialect.hasTerminal) this.sawTerminal = true;
      edit = found.edit;
    } else edit = found;
    // An error's words can name the provider account (a rate limit's `in organization org-…`):
    // the client gets them without (error events carry no usage of their own to hide).
    if (kind === 'error' && edit === undefined) {
      const shown = withoutAccountIds(event);
      if (shown !== event) return { kind: 'replace', bytes: shown };
    }
    return edit;
  }

  /**
   * Read the `id` of the first data event (the object a stream creates) and those of the
   * output items it adds (`response.output_item.added`: a few per response, read whole).
   */
  watchId(): void {
    this.#watchId = true;
    this.#watchItems = true;
  }

  #itemAdded(event: Buffer): void {
    const { data } = parseEvent(event);
    try {
      const id = (JSON.parse(data ?? '') as { item?: { id?: unknown } } | null)?.item?.id;
      if (typeof id === 'string' && id !== '') this.itemIds.push(id);
    } catch {
      // Not JSON: the client gets it as it came; there is no item to record.
    }
  }

  /** Read what running code made: events that name a container or a file it wrote, whole. */
  watchCode(): void {
    this.#watchCode = true;
  }

  #codeObjectsNamed(event: Buffer): void {
    const { data } = parseEvent(event);
    try {
      this.codeObjects.push(...codeObjectsIn(JSON.parse(data ?? '')));
    } catch {
      // Not JSON: nothing to record.
    }
  }

  /** The response is one JSON document, not events: keep a copy to read its usage at the end. */
  watchBody(): void {
    this.#body = [];
  }

  onBody(chunk: Buffer): void {
    const body = this.#body;
    if (body === undefined) return;
    body.push(chunk);
    this.#bodyBytes += chunk.length;
    this.#heldBodyBytes += chunk.length;
    if (this.#bodyBytes <= MAX_BODY) return;
    // Too long to parse: only the tail is kept (it was dropped, and the answer went unmetered).
    let first = body[0];
    while (first !== undefined && body.length > 1 && this.#heldBodyBytes - first.length >= TAIL) {
      this.#heldBodyBytes -= first.length;
      body.shift();
      first = body[0];
    }
  }

  /** The whole JSON body has arrived: read its usage. */
  endBody(): void {
    if (this.#body === undefined) return;
    const text = Buffer.concat(this.#body).toString('utf8');
    this.#body = undefined;
    try {
      const body: unknown = this.#bodyBytes <= MAX_BODY ? JSON.parse(text) : usageInTail(text);
      if (this.#bodyBytes <= MAX_BODY) this.json = body;
      this.usage = this.#dialect.bodyUsage(body) ?? this.usage;
      this.sawTerminal = this.usage !== undefined;
    } catch {
      // Not JSON after all: nothing to read.
    }
  }

  /** The generated text seen so far, JSON-escaped as it came (decode with `capturedText`). */
  get rawText(): Buffer {
    return Buffer.concat(this.#blocks, this.#textBytes);
  }

  /** Memory held for the captured text, each block's ArrayBuffer counted whole. */
  get heldBytes(): number {
    let bytes = 0;
    for (const block of this.#blocks) bytes += block.buffer.byteLength;
    return bytes;
  }

  /** Copies the raw value of the first text field in the event: a few bytes, no decoding. */
  #capture(event: Buffer): void {
    if (this.#textBytes >= MAX_CAPTURE) return;
    for (const field of this.#fields) {
      const at = event.indexOf(field);
      if (at === -1) continue;
      const from = at + field.length;
      let to = from;
      while (to < event.length && event[to] !== QUOTE) to += event[to] === BACKSLASH ? 2 : 1;
      to = Math.min(to, event.length);
      if (to > from) {
        this.sawContent = true;
        this.#append(event, from, to);
      }
      return;
    }
  }

  #append(source: Buffer, from: number, to: number): void {
    while (from < to) {
      const used = this.#textBytes % BLOCK;
      if (used === 0) this.#blocks.push(Buffer.allocUnsafeSlow(BLOCK));
      const block = this.#blocks[this.#blocks.length - 1] as Buffer;
      const copied = source.copy(block, used, from, Math.min(to, from + BLOCK - used));
      from += copied;
      this.#textBytes += copied;
    }
  }
}

const ID_FIELD = Buffer.from('"id":"');
const ITEM_ADDED = Buffer.from('"response.output_item.added"');
/** `"container_id"` or `"container"`, as keys are written; a file code wrote. */
const CONTAINER = Buffer.from('"container');
const CODE_OUTPUT = Buffer.from('code_execution_output"');

/** The first `"id":"…"` value of an event: the object a stream is about comes first. */
function firstId(event: Buffer): string | undefined {
  const at = event.indexOf(ID_FIELD);
  if (at === -1) return undefined;
  const from = at + ID_FIELD.length;
  const to = event.indexOf(QUOTE, from);
  return to > from ? event.toString('utf8', from, to) : undefined;
}

/** `"content":"` and the like, made once per dialect rather than once per request. */
const patterns = new WeakMap<Dialect, readonly Buffer[]>();

function fieldPatterns(dialect: Dialect): readonly Buffer[] {
  let found = patterns.get(dialect);
  if (found === undefined) {
    found = dialect.textFields.map((name) => Buffer.from(`"${name}":"`));
    patterns.set(dialect, found);
  }
  return found;
}

/**
 * The text captured by a tap, decoded. The pieces were whole JSON string values, so their
 * concatenation is one valid JSON string body.
 */
export function capturedText(raw: Buffer): string {
  const text = raw.toString('utf8');
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return text;
  }
}
