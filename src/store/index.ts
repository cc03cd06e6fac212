/** Users, API keys and usage records, in SQLite (default) or PostgreSQL (`DATABASE_URL`). */
export { openStore, type StoreOptions } from './open.ts';
export { parseDatabaseUrl } from './database-url.ts';
export {
  NO_LIMITS,
  type ApiKey,
  type ChatStore,
  type Conversation,
  type Message,
  type MessagePatch,
  type MessageStatus,
  type NewMessage,
  type Session,
  type BudgetPeriod,
  type EndReason,
  type Limits,
  type MigrationReport,
  type NewKey,
  type NewUser,
  type Role,
  type Store,
  type UsageFilter,
  type UsageGroup,
  type UsageRecord,
  type UsageSummaryRow,
  type User,
  type UserPatch,
  type UserWithPassword,
} from './types.ts';
