/**
 * In-memory counters shared by the worker processes of one Sluice (`--workers`): the counters
 * live in one process (the primary, `CountersHost`), and each worker's `RemoteCounters` asks it
 * for every admission and lease end. The host's `MemoryCounters` checks and takes in one
 * synchronous stretch, and messages from all workers reach it one at a time, so a limit holds
 * exactly across workers as it does in one process. The transport is the caller's: any
 * function that delivers a call to the host and its answer back (Node's IPC channel in
 * `server/cluster-*.ts`); the messages are plain JSON.
 *
 * Only a subject with a limit costs a round trip: an admission with nothing to count is
 * answered in the worker, as `MemoryCounters` would answer it.
 */
import { EMPTY_LEASE, endOnce, type Used } from './lease.ts';
import type { LogFn } from './options.ts';
import { planAdmission } from './plan.ts';
import {
  NO_RESERVE,
  type Admission,
  type Counters,
  type Lease,
  type Refusal,
  type Reserve,
  type Subject,
} from './types.ts';

/** What a worker asks of the host. */
export type CountersCall =
  | {
      readonly op: 'admit';
      readonly subjects: readonly Subject[];
      readonly requestId: string;
      readonly now: number;
      readonly reserve: Reserve;
    }
  | { readonly op: 'end'; readonly lease: number; readonly used: Used };

/** The host's answer to `admit`: a lease number to end later, or the refusal. */
export type AdmitAnswer =
  { readonly ok: true; readonly lease: number } | { readonly ok: false; readonly refusal: Refusal };

/** Delivers a call to the host; resolves with its answer (`null` for `end`). */
export type CountersTransport = (call: CountersCall) => Promise<unknown>;

export class RemoteCounters implements Counters {
  readonly #send: CountersTransport;
  readonly #log: LogFn;

  constructor(send: CountersTransport, log: LogFn = () => undefined) {
    this.#send = send;
    this.#log = log;
  }

  async admit(
    subjects: readonly Subject[],
    requestId: string,
    now: number,
    reserve: Reserve = NO_RESERVE,
  ): Promise<Admission> {
    if (planAdmission(subjects, now).length === 0) return { ok: true, lease: EMPTY_LEASE };
    const answer = await this.#send({ op: 'admit', subjects, requestId, now, reserve });
    if (!isAdmitAnswer(answer)) throw new Error('The limit counters answered nonsense.');
    if (!answer.ok) {
      // The caller's own subject, not the copy that travelled, as any `Counters` answers.
      const { refusal } = answer;
      const subject =
        subjects.find((s) => s.kind === refusal.subject.kind && s.id === refusal.subject.id) ??
        refusal.subject;
      return { ok: false, refusal: { ...refusal, subject } };
    }
    const lease = answer.lease;
    return {
      ok: true,
      lease: endOnce(
        async (used) => {
          await this.#send({ op: 'end', lease, used });
        },
        (err) => {
          this.#log('limit counters: lease end failed', { requestId, err });
        },
      ),
    };
  }

  /** The counters are the host's: nothing to release here. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The process that holds the counters: answers each worker's calls, and remembers whose leases
 * are live, so that a worker that dies gives its stream slots back at once (its own lease
 * renewals die with it only in Redis; here the host renews every live lease).
 */
export class CountersHost {
  readonly #counters: Counters;
  readonly #leases = new Map<number, { readonly owner: string; readonly lease: Lease }>();
  #next = 1;

  constructor(counters: Counters) {
    this.#counters = counters;
  }

  /** Leases live now, for tests and metrics. */
  get live(): number {
    return this.#leases.size;
  }

  async serve(owner: string, call: CountersCall): Promise<AdmitAnswer | null> {
    switch (call.op) {
      case 'admit': {
        const admission = await this.#counters.admit(
          call.subjects,
          call.requestId,
          call.now,
          call.reserve,
        );
        if (!admission.ok) return admission;
        const id = this.#next++;
        this.#leases.set(id, { owner, lease: admission.lease });
        return { ok: true, lease: id };
      }
      case 'end': {
        const held = this.#leases.get(call.lease);
        // A lease of another owner is not this caller's to end.
        if (held?.owner !== owner) return null;
        this.#leases.delete(call.lease);
        await held.lease.end(call.used);
        return null;
      }
    }
  }

  /**
   * `owner` is gone with its requests: their stream slots are freed. What they used is not
   * known here, so nothing is charged; the usage records, closed as `interrupted`, keep it.
   */
  async release(owner: string): Promise<number> {
    const ended: Promise<void>[] = [];
    for (const [id, held] of this.#leases) {
      if (held.owner !== owner) continue;
      this.#leases.delete(id);
      ended.push(held.lease.end({ tokens: 0, cost: null }));
    }
    await Promise.all(ended);
    return ended.length;
  }

  close(): Promise<void> {
    return this.#counters.close();
  }
}

function isAdmitAnswer(value: unknown): value is AdmitAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const answer = value as Record<string, unknown>;
  return answer.ok === true
    ? typeof answer.lease === 'number'
    : answer.ok === false && typeof answer.refusal === 'object' && answer.refusal !== null;
}
