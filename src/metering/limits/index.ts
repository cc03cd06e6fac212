export type {
  Admission,
  BudgetSource,
  Counters,
  Lease,
  Refusal,
  Reserve,
  Subject,
} from './types.ts';
export { NO_RESERVE } from './types.ts';
export type { CountersOptions, LogFn } from './options.ts';
export { DEFAULT_LEASE_MS } from './options.ts';
export { MemoryCounters } from './memory.ts';
export { RedisCounters, DEFAULT_KEY_PREFIX, type RedisCountersOptions } from './redis.ts';
export { createCounters, type CreateCountersOptions } from './create.ts';
export { refusalMessage, type RefusalCode } from './refusal-message.ts';
export {
  type AdmitAnswer,
  type CountersCall,
  CountersHost,
  type CountersTransport,
  RemoteCounters,
} from './remote.ts';
