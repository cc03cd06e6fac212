/**
 * A credential that expires — an OAuth token, temporary AWS keys — kept until shortly before it
 * does, and fetched once however many requests wait for it. What was minted is kept in a `Held`
 * the caller may share between builds of one upstream, so a reload (SIGHUP) does not mint again.
 */

/** Where a minted credential is kept. */
export interface Held<T> {
  current?: { readonly value: T; readonly expiresAt: number };
}

/** One that expires within this margin is minted anew, so none expires on its way. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export class Minted<T> {
  readonly #mint: () => Promise<{ readonly value: T; readonly expiresAt: number }>;
  readonly #held: Held<T>;
  readonly #now: () => number;
  #minting: Promise<T> | undefined;

  constructor(
    mint: () => Promise<{ readonly value: T; readonly expiresAt: number }>,
    held: Held<T> = {},
    now: () => number = Date.now,
  ) {
    this.#mint = mint;
    this.#held = held;
    this.#now = now;
  }

  /** One valid for at least five minutes more; rejects as the mint does. */
  get(): Promise<T> {
    const held = this.#held.current;
    if (held !== undefined && held.expiresAt - REFRESH_MARGIN_MS > this.#now()) {
      return Promise.resolve(held.value);
    }
    this.#minting ??= this.#mint()
      .then((minted) => {
        this.#held.current = minted;
        return minted.value;
      })
      .finally(() => {
        this.#minting = undefined;
      });
    return this.#minting;
  }
}
