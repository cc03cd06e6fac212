-- The amounts of a held member, '<tokens> <cost> <request id>' (redis.ts, `heldMember`).
local function held_amounts(member)
  local t, c = string.match(member, '^(%S+) (%S+) ')
  return tonumber(t) or 0, tonumber(c) or 0
end

-- Adds a member's amounts, times `sign`, to a held sum. Nothing for a zero: Redis refuses '-0'.
local function held_add(sums, member, sign)
  local t, c = held_amounts(member)
  if t ~= 0 then
    redis.call('HINCRBY', sums, 't', sign * t)
  end
  if c ~= 0 then
    redis.call('HINCRBYFLOAT', sums, 'c', sign * c)
  end
end
