/** The JSON the server answers with (src/chat/views.ts, src/accounts/views.ts, src/metering/views.ts). */
import type { usageView } from '../../../src/metering/views.ts';

export type Role = 'admin' | 'user';

export interface SessionUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
}

export interface SessionInfo {
  readonly user: SessionUser | null;
  readonly csrf_token: string;
  readonly setup_required: boolean;
  /** API families served only by the built-in demo model. */
  readonly demo: readonly string[];
}

export interface SignedIn {
  readonly user: SessionUser;
  readonly csrf_token: string;
}

export interface Model {
  readonly id: string;
  readonly owned_by: string;
}

/** `owned_by` of the built-in demo model (src/upstream/demo). */
export const DEMO_OWNER = 'sluice-demo';

export interface ConversationSummary {
  readonly id: string;
  readonly title: string;
  readonly model: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export type MessageStatus = 'complete' | 'streaming' | 'stopped' | 'error';

export interface ChatMessage {
  readonly id: string;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly status: MessageStatus;
  readonly model: string | null;
  readonly request_id: string | null;
  readonly error: string | null;
  readonly created_at: string;
}

export interface Conversation extends ConversationSummary {
  readonly messages: readonly ChatMessage[];
}

/** The events of `POST /api/chat`: the server's own type. */
export type { ChatEvent } from '../../../src/chat/events.ts';

export interface Limits {
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly max_streams: number | null;
  readonly budget_tokens: number | null;
  readonly budget_cost: number | null;
  readonly budget_period: BudgetPeriod;
}

export type BudgetPeriod = 'day' | 'month' | 'total';

export interface AdminUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly disabled: boolean;
  readonly created_at: string;
  readonly limits: Limits;
}

export interface AdminKey {
  readonly id: string;
  readonly prefix: string;
  readonly name: string | null;
  readonly user: string | null;
  readonly created_at: string;
  readonly last_used_at: string | null;
  readonly expires_at: string | null;
  readonly revoked_at: string | null;
  readonly models: readonly string[] | null;
  /** `/v1` route scopes beyond inference (files, batches, …). */
  readonly routes: readonly string[];
  readonly limits: Limits;
}

/** The answer to creating a key: the only time the secret is shown. */
export interface CreatedKey extends AdminKey {
  readonly key: string;
}

/** A usage record as `/api/admin/usage` lists it: the server's own view, so the two cannot drift. */
export type UsageRecord = ReturnType<typeof usageView>;

/** One page of the request log: `next_cursor` asks for the next, `null` when there is none. */
export interface UsagePage extends ListOf<UsageRecord> {
  readonly next_cursor: string | null;
}

export interface UsageSummaryRow {
  readonly user?: string | null;
  readonly model?: string | null;
  readonly day?: string | null;
  readonly key?: string | null;
  readonly requests: number;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly cost: number;
  readonly client_ttfb_ms_p50: number | null;
}

/** An upstream and its health, as `/api/admin/upstreams` shows it. */
export interface UpstreamHealth {
  readonly state: 'closed' | 'open' | 'half-open';
  readonly open_until: string | null;
  readonly reason: string | null;
}

export interface AdminUpstream extends UpstreamHealth {
  readonly name: string;
  readonly family: string;
  readonly url: string;
  readonly demo: boolean;
  readonly priority: number;
  readonly weight: number;
  readonly models: readonly string[] | null;
  readonly aliases: Readonly<Record<string, string>>;
  readonly keys: readonly (UpstreamHealth & { readonly id: string })[];
}

export interface ListOf<T> {
  readonly data: readonly T[];
}
