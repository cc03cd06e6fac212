/**
 * How a request tells the benchmark's model what to stream: in the `user` field, which every
 * relay measured passes on as the client sent it. (A field of its own was dropped by the
 * Portkey gateway, which forwards only the parameters OpenAI defines.)
 */
export interface BenchParams {
  readonly events: number;
  readonly intervalMs: number;
  readonly pad: number;
}

const PREFIX = 'sluice-bench';

/** `{ events: 5, intervalMs: 1, pad: 10 }` → `"sluice-bench 5 1 10"`. */
export function benchUser({ events, intervalMs, pad }: BenchParams): string {
  return `${PREFIX} ${events} ${intervalMs} ${pad}`;
}

/** The parameters a `user` field names, or undefined when it names none. */
export function readBenchUser(user: unknown): BenchParams | undefined {
  if (typeof user !== 'string') return undefined;
  const [prefix, ...numbers] = user.split(' ');
  const [events, intervalMs, pad] = numbers.map(Number);
  if (prefix !== PREFIX || numbers.length !== 3) return undefined;
  if (![events, intervalMs, pad].every((n) => Number.isInteger(n) && n! >= 0)) return undefined;
  return { events: events!, intervalMs: intervalMs!, pad: pad! };
}
