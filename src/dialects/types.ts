import type { SluiceError } from '../errors/index.ts';

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
}
