import type { SluiceError } from '../errors/index.ts';
import type { TokenUsage } from './usage.ts';

/** What one upstream event means to the relay. */
export type EventKind = 'data' | 'done' | 'error' | 'comment';

export type DialectName = 'openai-chat' | 'openai-responses' | 'anthropic-messages' | 'openai';

/**
 * Everything the relay needs to know about one wire format. Generic code asks the dialect;
 * it never names a provider.
 */
export interface Dialect {
  readonly name: DialectName;
  /**
   * Whether a complete stream ends with a terminal event (`[DONE]`, `response.completed`,
   * `message_stop`); if so, a stream that ends without one was cut short.
   */
  readonly hasTerminal: boolean;
  /** Classifies one complete event block `buf[start, end)` without decoding it. */
  classify(buf: Buffer, start: number, end: number): EventKind;
  /** The in-band error event sent after the first byte; `eventsSoFar` numbers it where needed. */
  errorEvent(error: SluiceError, eventsSoFar: number): string;
  /** The JSON body of an HTTP error sent before the first byte. */
  errorBody(error: SluiceError): unknown;

  /**
   * What one event says of usage, found in one scan of it: the usage it reports, given what
   * earlier events reported, and — with `hide` — how to take usage the client did not ask for
   * out of it. Called for every event, so it parses only events that carry usage and, in the
   * common case, allocates nothing or one small edit.
   */
  scanUsage(
    buf: Buffer,
    start: number,
    end: number,
    previous: TokenUsage | undefined,
    hide: boolean,
  ): UsageScan;
  /** The usage in a whole (non-streamed) JSON response. */
  bodyUsage(body: unknown): TokenUsage | undefined;
  /**
   * JSON string fields whose values are generated text: what a token estimate counts when the
   * upstream reports no usage (self-hosted servers, streams cut short).
   */
  readonly textFields: readonly string[];
  /**
   * Makes a streaming request ask the upstream for usage. Returns true when it had to: the
   * client did not ask, so `scanUsage` must hide the usage from the stream again.
   */
  requestUsage(body: Record<string, unknown>): boolean;
}

/**
 * How one event reaches the client once usage it did not ask for is hidden. Offsets are within
 * the event (0 is its first byte).
 */
export type EventEdit =
  /** The event without its bytes `[from, to)`. */
  | { readonly kind: 'cut'; readonly from: number; readonly to: number }
  /** Not at all. */
  | { readonly kind: 'drop' }
  /** These bytes (a whole event) instead. */
  | { readonly kind: 'replace'; readonly bytes: Buffer };

/**
 * What a scan of one event found: nothing (`undefined`), only an edit (usage hidden that
 * reported nothing, `"usage":null`), or usage — and the edit that hides it, if asked.
 */
export type UsageScan =
  | undefined
  | EventEdit
  | {
      readonly kind: 'usage';
      readonly usage: TokenUsage;
      readonly edit: EventEdit | undefined;
    };
