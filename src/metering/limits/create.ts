/** One place that picks the backend: Redis when REDIS_URL is configured, else memory. */
import { MemoryCounters } from './memory.ts';
import type { CountersOptions } from './options.ts';
import { RedisCounters } from './redis.ts';
import type { Counters } from './types.ts';

export interface CreateCountersOptions extends CountersOptions {
  /** REDIS_URL; without it, counters live in this process and hold for this instance only. */
  readonly redisUrl?: string | undefined;
  /** Redis only. Default `sluice:`. */
  readonly keyPrefix?: string;
}

export function createCounters(options: CreateCountersOptions): Counters {
  const { redisUrl, ...common } = options;
  if (redisUrl === undefined || redisUrl === '') return new MemoryCounters(common);
  return new RedisCounters({ ...common, url: redisUrl });
}
