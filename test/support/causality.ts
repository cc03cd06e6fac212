/**
 * Proof of streaming by cause and effect, not by clocks: the fake upstream sends event i+1 only
 * once the client has reported event i. Through a hop that streams, every event is acknowledged
 * before the next exists. Through a hop that buffers, the acknowledgement cannot come; after
 * `stallMs` the upstream gives up waiting (so the test ends instead of hanging) and sends the
 * rest — and the record says which events reached the client only afterwards.
 */
import { formatEvent } from '../../src/sse/index.ts';
import { deferred, type Script, sseHead } from './fake-upstream.ts';

export interface PacedStream {
  /** The fake upstream's script. */
  readonly script: Script;
  /** The client calls this as each event arrives, with the event's data. */
  ack(data: string): void;
  /** Per event: did the client have it before the upstream sent the next (or ended)? */
  readonly delivered: Promise<boolean[]>;
}

/** Chat-style events `{"seq":i}` and a final `[DONE]`. */
export function pacedByClient(count: number, stallMs = 3000): PacedStream {
  const acks = Array.from({ length: count }, () => deferred());
  const result = deferred<boolean[]>();
  let stalled = false;
  const script: Script = async ({ res }) => {
    sseHead(res);
    const delivered: boolean[] = [];
    for (let i = 0; i < count; i++) {
      res.write(
        formatEvent({
          data: JSON.stringify({ seq: i, object: 'chat.completion.chunk', choices: [] }),
        }),
      );
      if (stalled) {
        delivered.push(false);
        continue;
      }
      const timer = new Promise<'stalled'>((resolve) => setTimeout(resolve, stallMs, 'stalled'));
      const outcome = await Promise.race([acks[i]?.promise.then(() => 'acked' as const), timer]);
      stalled = outcome === 'stalled';
      delivered.push(!stalled);
    }
    res.end(formatEvent({ data: '[DONE]' }));
    result.resolve(delivered);
  };
  return {
    script,
    ack(data) {
      if (data === '[DONE]') return;
      const seq = (JSON.parse(data) as { seq?: number }).seq;
      if (seq !== undefined) acks[seq]?.resolve();
    },
    delivered: result.promise,
  };
}
