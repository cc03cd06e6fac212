export {
  Meter,
  MeterTicket,
  type MeterOptions,
  type RelayOutcome,
  type RequestInfo,
} from './meter.ts';
export { UsageQueue, type UsageQueueOptions } from './usage-queue.ts';
export { costOf } from './prices.ts';
export { countTokens, estimatePromptTokens } from './tokens.ts';
export { summaryView, usageView } from './views.ts';
export { UsageJournal } from './usage-journal.ts';
export { recoverUsage } from './recovery.ts';
