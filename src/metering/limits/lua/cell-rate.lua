-- GCRA state, the arithmetic of cell-rate.ts: TAT = b + n * 60000 / r, a whole-ms base plus a
-- count of cells, so no fractional time is stored or rounded. Prepended to the scripts using it.
local WINDOW = 60000
local MARGIN = 1000

-- Whole numbers as strings without Lua's 14-digit %g rounding.
local function int(x)
  return string.format('%d', x)
end

-- The state in `key` at `now`, counted at `rate`: returns base, cells. A TAT in the past is the
-- same as no state; cells counted at another rate are folded into the base first.
local function rate_load(key, rate, now)
  local v = redis.call('HMGET', key, 'b', 'n', 'r')
  local base, cells, old = tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
  if not base or not cells or not old or old < 1 then
    return now, 0
  end
  if old ~= rate then
    base = base + math.ceil(cells * WINDOW / old)
    cells = 0
  end
  if (base - now) * rate + cells * WINDOW < 0 then
    return now, 0
  end
  return base, cells
end

-- Adds `count` cells to a settled state and stores it until its TAT has passed.
local function rate_add(key, rate, now, base, cells, count)
  cells = cells + count
  if cells >= rate then
    local whole = math.floor(cells / rate)
    base = base + whole * WINDOW
    cells = cells - whole * rate
  end
  redis.call('HSET', key, 'b', int(base), 'n', int(cells), 'r', int(rate))
  local lifetime = math.max(0, math.ceil(base + cells * WINDOW / rate - now)) + MARGIN
  redis.call('PEXPIRE', key, int(lifetime))
end
