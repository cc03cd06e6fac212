/**
 * Plays a `StreamPlan` out as server-sent events at a model's pace: headers at once, then the
 * first token after `firstTokenMs` and each next one `tokenMs` later. A full socket buffer pauses
 * the stream until 'drain'; the client hanging up cancels the pending timer or wait at once, so
 * an abandoned stream holds nothing.
 */
import { once } from 'node:events';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StreamPlan } from './types.ts';

export interface Pacing {
  readonly firstTokenMs: number;
  readonly tokenMs: number;
}

const SSE_HEADERS: OutgoingHttpHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

/** Resolves when the stream has ended or the client has gone. */
export async function playStream(
  res: ServerResponse,
  plan: StreamPlan,
  pacing: Pacing,
  headers: OutgoingHttpHeaders = {},
): Promise<void> {
  // The client may have gone while its request body was still being read.
  if (res.destroyed) return;
  const hangUp = new AbortController();
  const onClose = (): void => {
    hangUp.abort();
  };
  res.once('close', onClose);
  const { signal } = hangUp;
  try {
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    // Headers now, not with the first token: clients and the doctor time them separately.
    res.flushHeaders();
    for (const frame of plan.head) await write(res, frame, signal);
    for (const [i, frame] of plan.tokens.entries()) {
      await sleep(i === 0 ? pacing.firstTokenMs : pacing.tokenMs, undefined, { signal });
      await write(res, frame, signal);
    }
    for (const frame of plan.tail) await write(res, frame, signal);
    res.end();
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    res.off('close', onClose);
  }
}

async function write(res: ServerResponse, frame: string, signal: AbortSignal): Promise<void> {
  if (!res.write(frame)) await once(res, 'drain', { signal });
}
