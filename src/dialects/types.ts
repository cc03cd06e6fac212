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
   * The usage this event reports, given what earlier events reported; `undefined` when it
   * reports none. Called for every event, so it parses only events that can carry usage.
   */
  readUsage(
    buf: Buffer,
    start: number,
    end: number,
    previous: TokenUsage | undefined,
  ): TokenUsage | undefined;
  /** The usage in a whole (non-streamed) JSON response. */
  bodyUsage(body: unknown): TokenUsage | undefined;
  /**
   * JSON string fields whose values are generated text: what a token estimate counts when the
   * upstream reports no usage (self-hosted servers, streams cut short).
   */
  readonly textFields: readonly string[];
  /**
   * Makes a streaming request ask the upstream for usage. Returns true when it had to: the
   * client did not ask, so `hideUsage` must take the usage out of the stream again.
   */
  requestUsage(body: Record<string, unknown>): boolean;
  /** An event with usage the client did not ask for hidden: `undefined` keeps it, `null` drops it. */
  hideUsage(buf: Buffer, start: number, end: number): Buffer | null | undefined;
}
