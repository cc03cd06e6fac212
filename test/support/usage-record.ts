/** A finished usage record for tests that write records themselves: neutral values, theirs on top. */
import type { UsageRecord } from '../../src/store/index.ts';

export function usageRecord(
  fields: Partial<UsageRecord> & Pick<UsageRecord, 'id' | 'startedAt'>,
): UsageRecord {
  return {
    endedAt: fields.startedAt + 1000,
    userId: null,
    username: null,
    keyId: null,
    keyPrefix: null,
    clientIp: null,
    model: null,
    upstream: null,
    endpoint: '/v1/chat/completions',
    status: 200,
    upstreamTtfbMs: null,
    clientTtfbMs: null,
    events: 0,
    bytes: 0,
    maxGapMs: null,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    reasoningTokens: 0,
    searches: 0,
    cost: null,
    endReason: 'done',
    usageSource: null,
    instanceId: null,
    requestedModel: null,
    clientTtftMs: null,
    tries: null,
    ...fields,
  };
}
