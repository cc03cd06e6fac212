-- The end of a request: frees its stream slots and what it held of budgets, charges its tokens
-- to tokens per minute, and its tokens and cost to budget counters that exist (an absent counter
-- is read afresh from the usage store later, and that will hold this request's record).
--
-- KEYS, five per subject: tpm state, stream leases, budget counter, held set, held sum.
-- ARGV[1] now (ms), ARGV[2] request id, ARGV[3] tokens (whole), ARGV[4] cost ('' for none),
-- ARGV[5] the request's held member, then three per subject, '' where not limited: tpm, '1' if
-- it holds a stream slot, budget counter TTL (ms).

local now = tonumber(ARGV[1])
local request_id = ARGV[2]
local tokens = tonumber(ARGV[3])
local cost = ARGV[4]
local held_member = ARGV[5]

for i = 1, #KEYS / 5 do
  local tpm = tonumber(ARGV[5 + (i - 1) * 3 + 1])
  local holds_stream = ARGV[5 + (i - 1) * 3 + 2] ~= ''
  local budget_ttl = ARGV[5 + (i - 1) * 3 + 3]
  local tpm_key = KEYS[(i - 1) * 5 + 1]
  local streams_key = KEYS[(i - 1) * 5 + 2]
  local budget_key = KEYS[(i - 1) * 5 + 3]
  local held_key = KEYS[(i - 1) * 5 + 4]
  local sums_key = KEYS[(i - 1) * 5 + 5]

  if tpm and tpm >= 1 and tokens > 0 then
    local base, cells = rate_load(tpm_key, tpm, now)
    rate_add(tpm_key, tpm, now, base, cells, tokens)
  end
  if holds_stream then
    redis.call('ZREM', streams_key, request_id)
  end
  if budget_ttl ~= '' then
    if redis.call('ZREM', held_key, held_member) == 1 and redis.call('EXISTS', sums_key) == 1 then
      held_add(sums_key, held_member, -1)
    end
    if redis.call('ZCARD', held_key) == 0 then
      redis.call('DEL', sums_key)
    end
  end
  if budget_ttl ~= '' and redis.call('EXISTS', budget_key) == 1 then
    redis.call('HINCRBY', budget_key, 't', int(tokens))
    if cost ~= '' then
      redis.call('HINCRBYFLOAT', budget_key, 'c', cost)
    end
    redis.call('PEXPIRE', budget_key, budget_ttl)
  end
end
return 1
