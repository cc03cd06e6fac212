/**
 * What the gateway tells its observers (metrics, traces) about each request, once it has
 * ended: its final record — refused requests included — and every try of an upstream. Told
 * after the fact, with the times the record and the tries carry, so an observer that is not
 * there (no metrics scrape yet, no OTLP endpoint) costs nothing while a request runs.
 */
import type { UsageRecord } from '../store/types.ts';
import type { Answer } from './attempt.ts';
import type { Gaps } from './gaps.ts';
import type { RequestTrace } from './trace-hop.ts';

export interface AttemptReport {
  readonly upstream: string;
  /** `openai#2`: the key by its name, never the key. */
  readonly key: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The HTTP status, how it failed without one, or `cancelled` (the client left). */
  readonly answer: Answer | 'cancelled';
  /** Another try followed it. */
  readonly failedOver: boolean;
  /** What went wrong, for a failed try. */
  readonly error: string | undefined;
  /** Its client span's id, which the upstream was told (`traceparent`); with traces on. */
  readonly spanId: string | undefined;
}

export interface RequestReport {
  readonly record: UsageRecord;
  readonly attempts: readonly AttemptReport[];
  /** The error code of a refused or failed request (`rate_limit_exceeded`, …). */
  readonly errorCode: string | undefined;
  /** The silences between its writes to the client; none for a request that relayed nothing. */
  readonly gaps: Gaps | undefined;
  /** Where the request is in a distributed trace; with traces on. */
  readonly trace: RequestTrace | undefined;
  /** Its streamed answer came from the upstream in a few large pieces (`held-upstream.ts`). */
  readonly arrivedGathered?: boolean;
}

export interface GatewayObserver {
  finished(report: RequestReport): void;
}

/** Tells each of several observers; one that throws does not keep the others from hearing. */
export function everyObserver(
  observers: readonly GatewayObserver[],
  onError: (error: unknown) => void,
): GatewayObserver | undefined {
  if (observers.length === 0) return undefined;
  const [only] = observers;
  if (observers.length === 1 && only !== undefined)
    return {
      finished(report) {
        try {
          only.finished(report);
        } catch (error) {
          onError(error);
        }
      },
    };
  return {
    finished(report) {
      for (const observer of observers) {
        try {
          observer.finished(report);
        } catch (error) {
          onError(error);
        }
      }
    },
  };
}
