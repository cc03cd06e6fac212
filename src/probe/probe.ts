/**
 * `GET /sluice/probe`: a synthetic event stream with no upstream and no cost, so a whole chain
 * (CDN, nginx, ingress, …) can be measured without secrets. Each event carries its sequence
 * number and send time; the doctor compares send gaps with arrival gaps. The first event also
 * says what the request looked like when it arrived (hop-headers.ts), so the doctor can count
 * the hops, even those that add nothing to the response.
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { TooManyProbesError } from '../errors/index.ts';
import { EVENT_STREAM_HEADERS } from '../http/index.ts';
import { formatEvent, KEEPALIVE } from '../sse/index.ts';
import { requestView } from './hop-headers.ts';
import type { ProbeParams } from './params.ts';
import { probeEventData } from './params.ts';

export interface ProbeOptions {
  readonly keepaliveMs: number;
  /** Aborted on shutdown: the probe ends at once. */
  readonly signal: AbortSignal;
  /** Probes that may run at once; they are served without a key. */
  readonly maxConcurrent: number;
}

export class Probe {
  readonly #o: ProbeOptions;
  #open = 0;

  constructor(options: ProbeOptions) {
    this.#o = options;
  }

  /** Streams one probe; resolves when it has ended, for whatever reason. */
  async serve(res: ServerResponse, params: ProbeParams): Promise<void> {
    if (this.#open >= this.#o.maxConcurrent) {
      throw new TooManyProbesError(
        `At most ${this.#o.maxConcurrent} probes run at once; retry shortly.`,
        5,
      );
    }
    this.#open++;
    try {
      await streamProbe(res, params, this.#o);
    } finally {
      this.#open--;
    }
  }
}

function streamProbe(
  res: ServerResponse,
  params: ProbeParams,
  options: ProbeOptions,
): Promise<void> {
  // What the hops did to the request, read before the first write: the first event carries it.
  const arrival = requestView(res.req);
  res.writeHead(200, { ...EVENT_STREAM_HEADERS, 'x-sluice-probe': '1' });
  res.flushHeaders();
  const pad = 'x'.repeat(params.pad);
  const start = performance.now();
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;

  return new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', stop);
      res.off('close', finish);
      resolve();
    };
    const stop = () => {
      res.end();
    };
    /** When event `n` is due: the silence comes after the first event. */
    const dueAt = (n: number) => start + n * params.intervalMs + (n >= 1 ? params.silenceMs : 0);

    const tick = () => {
      const now = performance.now();
      if (now < dueAt(seq) - 1) {
        // Waiting for the next event: keep the line alive, except inside the deliberate silence.
        const inSilence = seq === 1 && params.silenceMs > 0;
        if (!inSilence && !res.writableNeedDrain) res.write(KEEPALIVE);
        schedule();
        return;
      }
      if (res.writableNeedDrain) {
        res.once('drain', tick); // a slow reader delays events; their send times say so
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
      timer = setTimeout(tick, Math.max(0, inSilence ? wait : Math.min(wait, options.keepaliveMs)));
    };

    res.on('close', finish);
    options.signal.addEventListener('abort', stop, { once: true });
    tick();
  });
}
