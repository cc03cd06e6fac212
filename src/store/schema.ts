/**
 * The schema, as numbered migrations that only ever get appended. The SQL is written once for
 * both engines: SQLite accepts BIGINT and DOUBLE PRECISION (as INTEGER and REAL affinity).
 * Times are epoch milliseconds (BIGINT); durations in ms are DOUBLE PRECISION because
 * timings may be fractional; booleans are INTEGER 0/1; JSON is TEXT.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Limits carried by both users and keys; `NULL` is "no limit". */
const LIMIT_COLUMNS = `
  rpm BIGINT,
  tpm BIGINT,
  max_streams BIGINT,
  budget_tokens BIGINT,
  budget_cost DOUBLE PRECISION,
  budget_period TEXT NOT NULL DEFAULT 'month' CHECK (budget_period IN ('day', 'month', 'total'))`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, api keys and usage records',
    sql: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,${LIMIT_COLUMNS}
);
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  expires_at BIGINT,
  revoked_at BIGINT,
  models TEXT,${LIMIT_COLUMNS}
);
CREATE INDEX api_keys_user_id ON api_keys (user_id);

-- No foreign keys: a usage record outlives its user or key, and is written before either is
-- known for requests that fail authentication.
CREATE TABLE usage_records (
  id TEXT PRIMARY KEY,
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  user_id TEXT,
  username TEXT,
  key_id TEXT,
  key_prefix TEXT,
  client_ip TEXT,
  model TEXT,
  upstream TEXT,
  endpoint TEXT NOT NULL,
  status INTEGER,
  upstream_ttfb_ms DOUBLE PRECISION,
  client_ttfb_ms DOUBLE PRECISION,
  events BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  max_gap_ms DOUBLE PRECISION,
  prompt_tokens BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  cached_tokens BIGINT NOT NULL,
  reasoning_tokens BIGINT NOT NULL,
  cost DOUBLE PRECISION,
  end_reason TEXT NOT NULL,
  usage_source TEXT
);
CREATE INDEX usage_records_started_at ON usage_records (started_at);
CREATE INDEX usage_records_user_started_at ON usage_records (user_id, started_at);
CREATE INDEX usage_records_key_started_at ON usage_records (key_id, started_at);
`,
  },
  {
    version: 2,
    name: 'browser sessions, conversations and messages',
    sql: `
-- The session id is a SHA-256 of the cookie's token: a copy of the table signs nobody in.
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  ip TEXT,
  user_agent TEXT
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  model TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_user_updated ON conversations (user_id, updated_at);

CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  content TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('complete', 'streaming', 'stopped', 'error')),
  model TEXT,
  request_id TEXT,
  error TEXT,
  -- Position in the conversation: a question and its answer are often made in the same
  -- millisecond, so times cannot order them.
  seq BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX messages_conversation_seq ON messages (conversation_id, seq);
`,
  },
  {
    version: 3,
    name: 'route scopes of keys and the provider objects users own',
    sql: `
-- The /v1 route scopes a key is granted beyond inference (JSON array; NULL: none).
ALTER TABLE api_keys ADD COLUMN routes TEXT;

-- Provider objects (files, batches, stored responses, …) created through Sluice, and who
-- created them: another non-admin user asking for one is told it does not exist. The upstream
-- that holds it is where later requests for it go.
CREATE TABLE owned_objects (
  scope TEXT NOT NULL,
  id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  upstream TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (scope, id)
);
`,
  },
  {
    version: 4,
    name: 'the instance that served each request',
    sql: `
-- Which process wrote a record: records a dead process left incomplete are closed as
-- interrupted at a later start, and only a dead process's (several may share PostgreSQL).
ALTER TABLE usage_records ADD COLUMN instance_id TEXT;
CREATE INDEX usage_records_incomplete ON usage_records (instance_id) WHERE end_reason = 'incomplete';
`,
  },
  {
    version: 5,
    name: 'the model name a client asked for, when an alias',
    sql: `
-- \`model\` is what the upstream served (and what is priced); this, the alias the client used.
ALTER TABLE usage_records ADD COLUMN requested_model TEXT;
`,
  },
  {
    version: 6,
    name: 'time to first token',
    sql: `
-- From the request's arrival to the first event carrying content (text, reasoning, a tool call)
-- written to the client; beside client_ttfb_ms, whose first byte may be a role chunk.
ALTER TABLE usage_records ADD COLUMN client_ttft_ms DOUBLE PRECISION;
`,
  },
  {
    version: 7,
    name: 'the upstreams a request tried',
    sql: `
-- Each try of an upstream in order, as JSON: [{"upstream":"primary","answer":"500"},…]; the
-- last is the one that answered (\`upstream\`). NULL for a request that reached none.
ALTER TABLE usage_records ADD COLUMN tries TEXT;
`,
  },
  {
    version: 8,
    name: 'web searches a request ran',
    sql: `
-- Billed per search beside the tokens (the price's "searches"); 0 in older records.
ALTER TABLE usage_records ADD COLUMN searches BIGINT NOT NULL DEFAULT 0;
`,
  },
];

export const MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;
