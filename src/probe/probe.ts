/**
 * `GET /sluice/probe`: a synthetic event stream with no upstream and no cost, so a whole chain
 * (CDN, nginx, ingress, …) can be measured without secrets. Each event carries its sequence
 * number and send time; the doctor compares send gaps with arrival gaps. The first event also
 * says what the request looked like when it arrived (hop-headers.ts), so the doctor can count
 * the hops, even those that add nothing to the response.
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ShuttingDownError, TooManyProbesError } from '../errors/index.ts';
import { EVENT_STREAM_HEADERS } from '../http/index.ts';
import { formatEvent, KEEPALIVE } from '../sse/index.ts';
import { requestView } from './hop-headers.ts';
import type { ProbeParams } from './params.ts';
import { probeEventData } from './params.ts';

export interface ProbeOptions {
  readonly keepaliveMs: number;
  /** Probes that may run at once; they are served without a key. */
  readonly maxConcurrent: number;
  /** Of those, how many one client address may hold (anyone can open probes). */
  readonly maxPerClient: number;
  /** Default `STALLED_READER_MS`. */
  readonly stalledReaderMs?: number;
}

/**
 * How long a probe waits for its reader to take what was written before it gives up the
 * connection: a reader that never reads held its slot for as long as it liked.
 */
export const STALLED_READER_MS = 30_000;

export class Probe {
  readonly #o: ProbeOptions;
  readonly #closing = new AbortController();
  #open = 0;
  readonly #perClient = new Map<string, number>();

  constructor(options: ProbeOptions) {
    this.#o = options;
  }

  /**
   * Streams one probe for `client` (its address); resolves when it has ended, for whatever
   * reason.
   */
  async serve(res: ServerResponse, params: ProbeParams, client: string | null): Promise<void> {
    const { maxConcurrent, maxPerClient } = this.#o;
    const key = client ?? '';
    const mine = this.#perClient.get(key) ?? 0;
    // Pipelined behind another answer on its connection: it could take a slot per request of
    // one connection, writing into a response nobody can read yet.
    if (res.socket === null)
      throw new TooManyProbesError('One probe at a time on a connection; retry shortly.', 5);
    if (this.#closing.signal.aborted) throw new ShuttingDownError();
    if (this.#open >= maxConcurrent || mine >= maxPerClient) {
      throw new TooManyProbesError(
        this.#open >= maxConcurrent
          ? `At most ${maxConcurrent} probes run at once; retry shortly.`
          : `At most ${maxPerClient} probes run at once from one address; retry shortly.`,
        5,
      );
    }
    this.#open++;
    this.#perClient.set(key, mine + 1);
    try {
      await streamProbe(res, params, this.#o, this.#closing.signal);
    } finally {
      this.#open--;
      const left = (this.#perClient.get(key) ?? 1) - 1;
      if (left === 0) this.#perClient.delete(key);
      else this.#perClient.set(key, left);
    }
  }

  /**
   * Shutdown has begun: open probes end now and new ones are refused. A probe has nothing to
   * finish, and one anonymous probe held every redeploy to the whole drain timeout.
   */
  close(): void {
    this.#closing.abort();
  }
}

function streamProbe(
  res: ServerResponse,
  params: ProbeParams,
  options: ProbeOptions,
  signal: AbortSignal,
): Promise<void> {
  const { keepaliveMs, stalledReaderMs = STALLED_READER_MS } = options;
  // What the hops did to the request, read before the first write: the first event carries it.
  const arrival = requestView(res.req);
  res.writeHead(200, { ...EVENT_STREAM_HEADERS, 'x-sluice-probe': '1' });
  res.flushHeaders();
  const pad = 'x'.repeat(params.pad);
  const start = performance.now();
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let stalled: NodeJS.Timeout | undefined;

  return new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(stalled);
      signal.removeEventListener('abort', stop);
      res.off('close', finish);
      resolve();
    };
    const stop = () => {
      clearTimeout(timer);
      clearTimeout(stalled);
      // Ended, or dropped when what is written cannot reach a reader that stopped reading.
      if (res.writableNeedDrain) res.destroy();
      else res.end();
    };
    /** When event `n` is due: the silence comes after the first event. */
    const dueAt = (n: number) => start + n * params.intervalMs + (n >= 1 ? params.silenceMs : 0);

    const tick = () => {
      if (res.writableEnded || res.destroyed) return; // stopped while it waited
      const now = performance.now();
      if (now < dueAt(seq) - 1) {
        // Waiting for the next event: keep the line alive, except inside the deliberate silence.
        const inSilence = seq === 1 && params.silenceMs > 0;
        if (!inSilence && !res.writableNeedDrain) res.write(KEEPALIVE);
        schedule();
        return;
      }
      if (res.writableNeedDrain) {
        // A slow reader delays events (their send times say so); one that stopped loses them.
        stalled = setTimeout(() => res.destroy(), stalledReaderMs);
        res.once('drain', () => {
          clearTimeout(stalled);
          tick();
        });
        return;
      }
      res.write(
        formatEvent({
          id: String(seq),
          data: probeEventData(
            seq,
            params.events,
            now - start,
            pad,
            seq === 0 ? arrival : undefined,
          ),
        }),
      );
      seq++;
      if (seq < params.events) schedule();
      else res.end(formatEvent({ data: '[DONE]' }));
    };
    const schedule = () => {
      const wait = dueAt(seq) - performance.now();
      const inSilence = seq === 1 && params.silenceMs > 0;
      timer = setTimeout(tick, Math.max(0, inSilence ? wait : Math.min(wait, keepaliveMs)));
    };

    res.on('close', finish);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    tick();
  });
}
