/** What the gateway holds while it relays one translated stream. */
import type { SluiceError } from '../../errors/index.ts';

/**
 * Fed the upstream's events one at a time, in order; each call returns the client-dialect SSE
 * text to write now, often '' (a `ping`, a block boundary the client's format has no word for).
 * After an in-band error it has said everything: later calls return ''.
 */
export interface StreamTranslator {
  /** One upstream event: its `event:` name (if any) and its `data:` text. */
  event(name: string | undefined, data: string): string;
  /** The upstream stream ended cleanly: what completes the client's stream, or ''. */
  end(): string;
  /**
   * Set once the upstream's stream could not be translated (not JSON, events out of order):
   * the error event has been written, and the request failed there.
   */
  readonly failure: SluiceError | undefined;
}

/**
 * What a translated request is for: an answer, or a token count of its prompt
 * (`/v1/messages/count_tokens`, `/v1/responses/input_tokens`), which asks for no output.
 */
export type RequestPurpose = 'answer' | 'count';
