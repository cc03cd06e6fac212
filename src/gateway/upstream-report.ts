/**
 * What the doctor learns of a stream's other half (`probe/upstream-view.ts`): a request that
 * carries the doctor's header gets, at the end of its event stream, how the upstream's answer
 * reached Sluice — each read's time, size and events. Only the caller's own request is
 * described; the names of the hops behind Sluice (its egress proxy, the upstream's `Server` and
 * `Via`) are the operator's, shown to admins only.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  DOCTOR_HEADER,
  DOCTOR_TOKEN,
  UPSTREAM_READS,
  upstreamComment,
  type UpstreamRead,
  type UpstreamView,
} from '../probe/index.ts';

/** What may name the hops behind Sluice, for an admin's request. */
export type UpstreamDetails = Pick<UpstreamView, 'egress' | 'server' | 'via'>;

export class UpstreamReport {
  /** ms, bytes, events of each read in turn, flat: three numbers, not an array, per read. */
  readonly #reads: number[] = [];
  readonly #startedAt = performance.now();
  readonly #details: UpstreamDetails;
  #truncated = false;

  constructor(details: UpstreamDetails = {}) {
    this.#details = details;
  }

  /** One upstream read, as it arrived. */
  add(bytes: number, events: number): void {
    if (this.#reads.length >= 3 * UPSTREAM_READS) {
      this.#truncated = true;
      return;
    }
    const ms = Math.round((performance.now() - this.#startedAt) * 100) / 100;
    this.#reads.push(ms, bytes, events);
  }

  /** The comment that ends the stream. */
  comment(): string {
    const reads: UpstreamRead[] = [];
    for (let i = 0; i < this.#reads.length; i += 3) {
      reads.push([this.#reads[i] ?? 0, this.#reads[i + 1] ?? 0, this.#reads[i + 2] ?? 0]);
    }
    return upstreamComment({
      reads,
      ...(this.#truncated ? { truncated: true } : {}),
      ...this.#details,
    });
  }
}

const DOCTOR_HEADER_NAME = DOCTOR_HEADER.toLowerCase();

/** Whether a request asks for the report: the doctor's header, with a token it would send. */
export function asksForUpstreamReport(headers: IncomingHttpHeaders): boolean {
  const token = headers[DOCTOR_HEADER_NAME];
  return typeof token === 'string' && DOCTOR_TOKEN.test(token);
}

/** An admin's details from the upstream's response: its proxy, and what its headers name. */
export function upstreamDetails(
  proxied: boolean,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): UpstreamDetails {
  const text = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const server = text('server');
  const via = text('via');
  return {
    egress: proxied ? 'proxy' : 'direct',
    ...(server === undefined ? {} : { server: server.slice(0, 256) }),
    ...(via === undefined ? {} : { via: via.slice(0, 256) }),
  };
}
