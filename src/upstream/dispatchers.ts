import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import type { Timeouts } from '../config/index.ts';
import type { Egress } from './egress.ts';

/**
 * One undici dispatcher per way out (direct, or one per proxy URL), shared by every upstream
 * that leaves the same way. Header and body timeouts are set per request (see `relay`), so the
 * agents carry only what is theirs: the connect timeout and connection reuse.
 */
export class Dispatchers {
  readonly #timeouts: Timeouts;
  readonly #byKey = new Map<string, Dispatcher>();

  constructor(timeouts: Timeouts) {
    this.#timeouts = timeouts;
  }

  for(egress: Egress): Dispatcher {
    const key = egress.kind === 'direct' ? 'direct' : egress.proxy;
    let dispatcher = this.#byKey.get(key);
    if (dispatcher === undefined) {
      dispatcher = this.#create(egress);
      this.#byKey.set(key, dispatcher);
    }
    return dispatcher;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#byKey.values()].map((d) => d.destroy()));
    this.#byKey.clear();
  }

  #create(egress: Egress): Dispatcher {
    // Loaded with the first dispatcher: CLI commands that only read the store never pay for it.
    const { Agent, ProxyAgent } = (undici ??= createRequire(import.meta.url)(
      'undici',
    ) as typeof Undici);
    const common = {
      keepAliveTimeout: 30_000,
      // Our own timeouts apply per request; these only keep undici from imposing its 300 s.
      headersTimeout: this.#timeouts.firstByteMs,
      bodyTimeout: this.#timeouts.idleMs,
    };
    if (egress.kind === 'direct') {
      return new Agent({ ...common, connect: { timeout: this.#timeouts.connectMs } });
    }
    return new ProxyAgent({
      ...common,
      uri: egress.proxy,
      connectTimeout: this.#timeouts.connectMs,
    });
  }
}

let undici: typeof Undici | undefined;
