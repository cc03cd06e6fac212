/**
 * Tokenising off the event loop. gpt-tokenizer is synchronous: a count of a user's prompt on
 * the loop (a `count_tokens` any key may call, or the estimate of a prompt an upstream reported
 * no usage for) stalled every stream of the process for as long as it took — 100 000 CJK
 * characters of one kind took 21 s. The tokenizer runs on a thread of its own, started on
 * first use (its tables load there too), referenced only while a count is pending: it never
 * keeps a process alive, and never lets one exit with a count — and so a usage record — owed.
 *
 * A thread that fails (it cannot start, or dies) answers what it owed with a rough count, a
 * token per four characters, rather than failing a request or losing its record; the next
 * count starts a new one.
 */
import { Worker } from 'node:worker_threads';

interface Pending {
  readonly text: string;
  readonly resolve: (count: number) => void;
}

const WORKER = new URL('./tokenizer-worker.ts', import.meta.url);

export class TokenizerThread {
  readonly #script: URL;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #next = 0;

  /** `script`: the worker to run (tests give one that fails). */
  constructor(script: URL = WORKER) {
    this.#script = script;
  }

  count(text: string): Promise<number> {
    const worker = this.#worker ?? this.#start();
    const id = this.#next++;
    return new Promise((resolve) => {
      if (this.#pending.size === 0) worker.ref();
      this.#pending.set(id, { text, resolve });
      worker.postMessage({ id, text });
    });
  }

  /** Stops the thread (tests); pending counts get their rough answers. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#failed(worker);
    await worker.terminate();
  }

  #start(): Worker {
    const worker = new Worker(this.#script, {
      // Not the process's flags: they are for it (`--input-type`, profilers, …), not this file.
      execArgv: [],
      // The tables and one piece's arrays need tens of MiB; a runaway gets no more than this.
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    worker.unref();
    worker.on('message', ({ id, count }: { id: number; count: number }) => {
      const pending = this.#pending.get(id);
      if (pending === undefined) return;
      this.#pending.delete(id);
      if (this.#pending.size === 0) worker.unref();
      pending.resolve(count);
    });
    worker.on('error', () => {
      this.#failed(worker);
    });
    worker.on('exit', () => {
      this.#failed(worker);
    });
    this.#worker = worker;
    return worker;
  }

  #failed(worker: Worker): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    worker.unref();
    for (const { text, resolve } of this.#pending.values()) resolve(roughCount(text));
    this.#pending.clear();
  }
}

/** A token per four characters: what a count is worth when the tokenizer could not give one. */
export function roughCount(text: string): number {
  return Math.ceil(text.length / 4);
}
