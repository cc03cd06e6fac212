-- Admission. Redis runs a script with no other command in between, so checking every limit of
-- every subject and then taking from all of them cannot race another instance: nothing is taken
-- unless everything passes.
--
-- KEYS, six per subject: rpm state, tpm state, stream leases (sorted set, score = expiry),
-- budget counter (hash: t = tokens, c = cost), what requests in flight hold of the budget
-- (sorted set, score = expiry, members '<tokens> <cost> <request id>'), and the sum of those
-- holds (hash: t, c; kept as they come and go, so an admission never adds them all up).
-- ARGV[1] now (ms), ARGV[2] request id, ARGV[3] lease expiry (ms), ARGV[4] lease set TTL (ms),
-- ARGV[5] this request's held member, then eight per subject, '' where there is no such limit:
-- rpm, tpm, maxStreams, budget tokens,
-- budget cost, budget counter TTL (ms), and the spent tokens and cost read from the usage store
-- (given only after a reply said the counter is missing).
--
-- Replies: {1} admitted; {0, subject, limit, retryAfterSeconds} refused, subject counted from 1,
-- limit one of rpm, tpm, streams, tokens, cost, tokens-held, cost-held; {2, subject, ...} budget
-- counters missing: read
-- them from the usage store and run again with them.

local now = tonumber(ARGV[1])
local request_id = ARGV[2]
local lease_expiry = ARGV[3]
local lease_ttl = ARGV[4]
local held_member = ARGV[5]
local subjects = #KEYS / 6

local function key(i, j)
  return KEYS[(i - 1) * 6 + j]
end

local function arg(i, j)
  return ARGV[5 + (i - 1) * 8 + j]
end

-- What the live members of a held set add up to. Expired ones (their instance died) go, and
-- leave the sum; a sum that is missing (it expired while its streams ran on) is added up anew.
local function held_by(held, sums, now)
  local expired = redis.call('ZRANGEBYSCORE', held, '-inf', int(now))
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', held, '-inf', int(now))
    if redis.call('EXISTS', sums) == 1 then
      for _, member in ipairs(expired) do
        held_add(sums, member, -1)
      end
    end
  end
  if redis.call('ZCARD', held) == 0 then
    redis.call('DEL', sums)
    return 0, 0
  end
  local v = redis.call('HMGET', sums, 't', 'c')
  local tokens, cost = tonumber(v[1]), tonumber(v[2])
  if tokens and cost then
    return tokens, cost
  end
  tokens, cost = 0, 0
  for _, member in ipairs(redis.call('ZRANGE', held, 0, -1)) do
    local t, c = held_amounts(member)
    tokens, cost = tokens + t, cost + c
  end
  redis.call('HSET', sums, 't', int(tokens), 'c', tostring(cost))
  return tokens, cost
end

-- Check everything.
local rpm_states = {}
local missing = {}
for i = 1, subjects do
  local rpm, tpm, max_streams = tonumber(arg(i, 1)), tonumber(arg(i, 2)), tonumber(arg(i, 3))
  local budget_tokens, budget_cost = tonumber(arg(i, 4)), tonumber(arg(i, 5))

  if rpm then
    if rpm < 1 then
      return { 0, i, 'rpm', 60 }
    end
    local base, cells = rate_load(key(i, 1), rpm, now)
    local excess = (base - now) * rpm + (cells + 1) * WINDOW - WINDOW * rpm
    if excess > 0 then
      return { 0, i, 'rpm', math.max(1, math.ceil(excess / (1000 * rpm))) }
    end
    rpm_states[i] = { base, cells }
  end

  if tpm then
    if tpm < 1 then
      return { 0, i, 'tpm', 60 }
    end
    local base, cells = rate_load(key(i, 2), tpm, now)
    local debt = (base - now) * tpm + cells * WINDOW - WINDOW * tpm
    if debt >= 0 then
      return { 0, i, 'tpm', math.floor(debt / (1000 * tpm)) + 1 }
    end
  end

  if max_streams then
    -- Dropping leases that expired (their instance died) is cleanup, not taking.
    redis.call('ZREMRANGEBYSCORE', key(i, 3), '-inf', int(now))
    if redis.call('ZCARD', key(i, 3)) >= max_streams then
      return { 0, i, 'streams', 0 }
    end
  end

  if budget_tokens or budget_cost then
    local counter = key(i, 4)
    local spent = redis.call('HMGET', counter, 't', 'c')
    local tokens, cost = tonumber(spent[1]), tonumber(spent[2])
    if not tokens and arg(i, 7) ~= '' then
      -- Set only if still absent: of two instances initialising at once, the first one wins
      -- and the second one's read is discarded instead of added.
      redis.call('HSET', counter, 't', arg(i, 7), 'c', arg(i, 8))
      redis.call('PEXPIRE', counter, arg(i, 6))
      tokens, cost = tonumber(arg(i, 7)), tonumber(arg(i, 8))
    end
    if not tokens then
      missing[#missing + 1] = i
    elseif budget_tokens and tokens >= budget_tokens then
      return { 0, i, 'tokens', 0 }
    elseif budget_cost and (cost or 0) >= budget_cost then
      return { 0, i, 'cost', 0 }
    else
      local held_tokens, held_cost = held_by(key(i, 5), key(i, 6), now)
      if budget_tokens and tokens + held_tokens >= budget_tokens then
        return { 0, i, 'tokens-held', 0 }
      elseif budget_cost and (cost or 0) + held_cost >= budget_cost then
        return { 0, i, 'cost-held', 0 }
      end
    end
  end
end

if #missing > 0 then
  table.insert(missing, 1, 2)
  return missing
end

-- Take everything.
for i = 1, subjects do
  local state = rpm_states[i]
  if state then
    rate_add(key(i, 1), tonumber(arg(i, 1)), now, state[1], state[2], 1)
  end
  if arg(i, 3) ~= '' then
    redis.call('ZADD', key(i, 3), lease_expiry, request_id)
    redis.call('PEXPIRE', key(i, 3), lease_ttl)
  end
  if arg(i, 4) ~= '' or arg(i, 5) ~= '' then
    redis.call('ZADD', key(i, 5), lease_expiry, held_member)
    redis.call('PEXPIRE', key(i, 5), lease_ttl)
    held_add(key(i, 6), held_member, 1)
    redis.call('HSETNX', key(i, 6), 't', '0')
    redis.call('HSETNX', key(i, 6), 'c', '0')
    redis.call('PEXPIRE', key(i, 6), lease_ttl)
  end
end
return { 1 }
