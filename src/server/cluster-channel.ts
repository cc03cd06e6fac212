/**
 * Calls and notices between the primary and a worker (`--workers`) over Node's IPC channel.
 * Every message is JSON tagged `sluice`, so Node's own cluster messages (which travel apart, as
 * `internalMessage`) and anyone else's pass by. A call is answered once, with a value or an
 * error's message; a call whose peer is gone, or that waits longer than its timeout, fails.
 */

/** The two ends of the channel as this module needs them: `process` or a cluster `Worker`. */
export interface Endpoint {
  /** Sends one message; `done` gets the error if it could not be sent. */
  send(message: Envelope, done: (error: Error | null) => void): void;
  /** Registers `onMessage` for every message that arrives. */
  listen(onMessage: (message: unknown) => void): void;
}

export type Envelope =
  | { readonly sluice: 'call'; readonly id: number; readonly kind: string; readonly body: unknown }
  | { readonly sluice: 'answer'; readonly id: number; readonly body: unknown }
  | { readonly sluice: 'failure'; readonly id: number; readonly message: string }
  | { readonly sluice: 'notice'; readonly kind: string; readonly body: unknown };

/** How long a call waits for its answer unless told otherwise. */
const CALL_TIMEOUT_MS = 10_000;

interface Pending {
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class Channel {
  readonly #endpoint: Endpoint;
  readonly #pending = new Map<number, Pending>();
  readonly #answers = new Map<string, (body: unknown) => unknown>();
  readonly #notices = new Map<string, (body: unknown) => void>();
  #next = 1;
  #closed: Error | undefined;

  constructor(endpoint: Endpoint) {
    this.#endpoint = endpoint;
    endpoint.listen((message) => {
      this.#receive(message);
    });
  }

  /** Asks the peer; resolves with what its `answer` handler returned. */
  call(kind: string, body: unknown = null, timeoutMs = CALL_TIMEOUT_MS): Promise<unknown> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle(id)?.reject(new Error(`no answer to "${kind}" within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.#pending.set(id, { resolve, reject, timer });
      this.#endpoint.send({ sluice: 'call', id, kind, body }, (error) => {
        if (error !== null) this.#settle(id)?.reject(error);
      });
    });
  }

  /** Tells the peer something; nothing comes back. Lost if the peer is gone. */
  notify(kind: string, body: unknown = null): void {
    if (this.#closed !== undefined) return;
    this.#endpoint.send({ sluice: 'notice', kind, body }, () => undefined);
  }

  /** Answers the peer's calls of `kind` with what `handler` returns (or throws). */
  answer(kind: string, handler: (body: unknown) => unknown): void {
    this.#answers.set(kind, handler);
  }

  /** Hears the peer's notices of `kind`. */
  on(kind: string, handler: (body: unknown) => void): void {
    this.#notices.set(kind, handler);
  }

  /** The peer is gone: calls waiting fail with `reason`, and new ones at once. */
  close(reason: Error): void {
    this.#closed ??= reason;
    for (const id of [...this.#pending.keys()]) this.#settle(id)?.reject(reason);
  }

  #receive(message: unknown): void {
    if (!isEnvelope(message)) return;
    switch (message.sluice) {
      case 'answer':
        this.#settle(message.id)?.resolve(message.body);
        return;
      case 'failure':
        this.#settle(message.id)?.reject(new Error(message.message));
        return;
      case 'notice':
        this.#notices.get(message.kind)?.(message.body);
        return;
      case 'call':
        void this.#serve(message.id, message.kind, message.body);
        return;
    }
  }

  async #serve(id: number, kind: string, body: unknown): Promise<void> {
    let reply: Envelope;
    try {
      const handler = this.#answers.get(kind);
      if (handler === undefined) throw new Error(`nothing answers "${kind}"`);
      reply = { sluice: 'answer', id, body: (await handler(body)) ?? null };
    } catch (error) {
      reply = { sluice: 'failure', id, message: (error as Error).message };
    }
    if (this.#closed === undefined) this.#endpoint.send(reply, () => undefined);
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (pending === undefined) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    return pending;
  }
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const tag = (value as { sluice?: unknown }).sluice;
  return tag === 'call' || tag === 'answer' || tag === 'failure' || tag === 'notice';
}

/** This process's end, in a worker: `process.send` and `process.on('message')`. */
export function primaryEndpoint(): Endpoint {
  return {
    send(message, done) {
      if (process.send === undefined) {
        done(new Error('this process has no primary'));
        return;
      }
      process.send(message, undefined, {}, (error: Error | null) => {
        done(error);
      });
    },
    listen(onMessage) {
      process.on('message', onMessage);
    },
  };
}

/** The primary's end of one worker's channel. */
export function workerEndpoint(worker: {
  send(
    message: unknown,
    handle: undefined,
    options: object,
    done: (e: Error | null) => void,
  ): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}): Endpoint {
  return {
    send(message, done) {
      try {
        worker.send(message, undefined, {}, done);
      } catch (error) {
        done(error as Error);
      }
    },
    listen(onMessage) {
      worker.on('message', onMessage);
    },
  };
}
