/**
 * The events of a translated stream: each complete upstream event goes to the tap (metering
 * reads the upstream's own dialect) and to the translator, whose output for the client is
 * collected until the relay writes it, in the same turn — as text: the sink encodes it into
 * the chunk's frame, its one copy.
 */
import type { StreamTranslator } from '../dialects/index.ts';
import type { SluiceError } from '../errors/index.ts';
import { type EventSink, parseEvent } from '../sse/index.ts';
import { hideAccountIds } from './account-ids.ts';
import type { EventTap } from './tap.ts';

export class TranslatingSink implements EventSink {
  readonly #tap: EventTap;
  readonly #translator: StreamTranslator;
  #out = '';

  constructor(tap: EventTap, translator: StreamTranslator) {
    this.#tap = tap;
    this.#translator = translator;
  }

  onEvent(buf: Buffer, start: number, end: number): void {
    // No edit comes back: usage is hidden by the translator, which writes only what it maps.
    this.#tap.onEvent(buf, start, end);
    const event = parseEvent(buf, start, end);
    // Comments (the upstream's keepalives) are not passed on: Sluice keeps the client alive.
    if (event.data === undefined) return;
    // An error is worded again for the client, without the provider account's ids.
    const data = this.#tap.lastWasError ? hideAccountIds(event.data) : event.data;
    this.#out += this.#translator.event(event.event, data);
  }

  /** Set once the upstream's stream could not be translated; its error event is in `take()`. */
  get failure(): SluiceError | undefined {
    return this.#translator.failure;
  }

  /** What the client gets for the events so far. */
  take(): string {
    const out = this.#out;
    this.#out = '';
    return out;
  }

  /** The upstream ended cleanly: what completes the client's stream. */
  end(): string {
    return this.#out + this.#translator.end();
  }
}
