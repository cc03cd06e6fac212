/**
 * Why a relay must end before the upstream is done: the client left, the total timeout fired,
 * or shutdown reached its deadline. Plain callbacks rather than an AbortController per request:
 * EventTarget listeners were a measurable share of a request's cost.
 */
export class Stop {
  #reason: Error | undefined;
  #listener: ((reason: Error) => void) | undefined;

  get reason(): Error | undefined {
    return this.#reason;
  }

  /** The first reason wins; later ones are ignored. */
  stop(reason: Error): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#listener?.(reason);
  }

  /** The one listener (the current upstream attempt); called at once if already stopped. */
  listen(listener: ((reason: Error) => void) | undefined): void {
    this.#listener = listener;
    if (listener !== undefined && this.#reason !== undefined) listener(this.#reason);
  }
}

/** The reason when the client disconnected. */
export const ClientGone = new Error('client disconnected');
