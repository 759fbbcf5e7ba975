-- Take up to ARGV[1] of the lowest-scored jobs across the given ready sets and record them in the claim set.
-- KEYS[1..n] ready sets the worker serves, KEYS[n+1] the claim (in-flight) set.
-- ARGV[1] count, ARGV[2] claim deadline (unix ms): if the worker has not confirmed the claim in Postgres by then,
-- the scheduler puts the job back (a worker that dies between this pop and its Postgres claim loses nothing).
local n = #KEYS - 1
local count = tonumber(ARGV[1])
local inflight = KEYS[n + 1]
local chosen = {}
if n == 1 then
  local items = redis.call('ZPOPMIN', KEYS[1], count)
  for i = 1, #items, 2 do chosen[#chosen + 1] = { items[i], 1 } end
else
  local cands = {}
  for k = 1, n do
    local items = redis.call('ZRANGE', KEYS[k], 0, count - 1, 'WITHSCORES')
    for i = 1, #items, 2 do
      cands[#cands + 1] = { tonumber(items[i + 1]), items[i], k }
    end
  end
  table.sort(cands, function(a, b)
    if a[1] == b[1] then return a[2] < b[2] end
    return a[1] < b[1]
  end)
  local perKey = {}
  for i = 1, math.min(count, #cands) do
    local c = cands[i]
    chosen[#chosen + 1] = { c[2], c[3] }
    perKey[c[3]] = perKey[c[3]] or {}
    table.insert(perKey[c[3]], c[2])
  end
  for k, ids in pairs(perKey) do
    redis.call('ZREM', KEYS[k], unpack(ids))
  end
end
if #chosen == 0 then return {} end
local args = {}
local out = {}
for i, c in ipairs(chosen) do
  args[#args + 1] = ARGV[2]
  args[#args + 1] = c[1]
  out[i] = c[1]
end
redis.call('ZADD', inflight, unpack(args))
return out
