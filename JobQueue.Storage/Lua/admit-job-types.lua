-- Admits job types as metric label values, at most ARGV[1] distinct ones for ever (a tenant must not be able to
-- create one series per random type name). KEYS[1] the set of admitted types; ARGV[2..] the types to decide.
-- Returns one 1 (admitted, now or before) or 0 (over the cap: counted as "other") per type, in order.
local cap = tonumber(ARGV[1])
local result = {}
for i = 2, #ARGV do
  local t = ARGV[i]
  if redis.call('SISMEMBER', KEYS[1], t) == 1 then
    result[i - 1] = 1
  elseif redis.call('SCARD', KEYS[1]) < cap then
    redis.call('SADD', KEYS[1], t)
    result[i - 1] = 1
  else
    result[i - 1] = 0
  end
end
return result
