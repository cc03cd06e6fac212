/**
 * What the log says when spans cannot be exported (the collector is down, refuses them, is too
 * slow): the first failure at once, then at most one line per interval with what was lost
 * since, and one line when exports work again. A collector that stays down costs a line every
 * few minutes, never one per request or per batch.
 */
import type { Logger } from '../log/index.ts';

/** Five minutes between lines while exports keep failing. */
const EVERY_MS = 5 * 60_000;

export interface ExportFailures {
  /** A batch of `spans` spans could not be exported. */
  failed(error: unknown, spans: number): void;
  /** A batch went through. */
  exported(): void;
}

export function exportFailures(
  log: Logger,
  fields: Record<string, unknown>,
  { everyMs = EVERY_MS, now = Date.now }: { everyMs?: number; now?: () => number } = {},
): ExportFailures {
  let failing = false;
  let loggedAt = -Infinity;
  /** Spans and batches lost since the last line. */
  let lost = 0;
  let batches = 0;
  /** Spans lost since exports last worked. */
  let lostInAll = 0;
  return {
    failed(error, spans) {
      lost += spans;
      lostInAll += spans;
      batches++;
      const at = now();
      if (failing && at - loggedAt < everyMs) return;
      log.warn('spans could not be exported; traces are lost until the collector takes them', {
        ...fields,
        error,
        spans_lost: lost,
        batches_failed: batches,
        ...(failing ? {} : { next_report_in_s: Math.round(everyMs / 1000) }),
      });
      failing = true;
      loggedAt = at;
      lost = 0;
      batches = 0;
    },
    exported() {
      if (!failing) return;
      log.info('spans exported again', { ...fields, spans_lost: lostInAll });
      failing = false;
      loggedAt = -Infinity;
      lost = 0;
      batches = 0;
      lostInAll = 0;
    },
  };
}
