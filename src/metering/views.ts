/** Usage records and summaries as the admin API and `sluice usage --json` show them. */
import { iso } from '../accounts/views.ts';
import type { UsageRecord, UsageSummaryRow } from '../store/types.ts';

export function usageView(record: UsageRecord) {
  return {
    id: record.id,
    user: record.username,
    key_prefix: record.keyPrefix,
    client_ip: record.clientIp,
    model: record.model,
    requested_model: record.requestedModel,
    upstream: record.upstream,
    endpoint: record.endpoint,
    status: record.status,
    started_at: iso(record.startedAt),
    ended_at: iso(record.endedAt),
    upstream_ttfb_ms: record.upstreamTtfbMs,
    client_ttfb_ms: record.clientTtfbMs,
    client_ttft_ms: record.clientTtftMs,
    upstreams_tried: record.tries,
    events: record.events,
    bytes: record.bytes,
    max_gap_ms: record.maxGapMs,
    prompt_tokens: record.promptTokens,
    completion_tokens: record.completionTokens,
    cached_tokens: record.cachedTokens,
    reasoning_tokens: record.reasoningTokens,
    searches: record.searches,
    cost: record.cost,
    usage_source: record.usageSource,
    end_reason: record.endReason,
  };
}

export function summaryView(row: UsageSummaryRow) {
  return {
    ...row.group,
    requests: row.requests,
    prompt_tokens: row.promptTokens,
    completion_tokens: row.completionTokens,
    cached_tokens: row.cachedTokens,
    reasoning_tokens: row.reasoningTokens,
    searches: row.searches,
    cost: row.cost,
    client_ttfb_ms_p50: row.clientTtfbMsP50,
  };
}
