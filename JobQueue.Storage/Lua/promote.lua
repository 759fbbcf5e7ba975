-- Move due members of the delayed set to their ready sets.
-- KEYS[1..3] ready sets, KEYS[4] delayed set. ARGV[1] now (unix ms), ARGV[2] limit, ARGV[3] wake channel.
-- Returns { moved, next due time in unix ms or -1 }, so the promoter can sleep exactly until the next one.
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(due) do
  local qi, score, id = string.match(m, '^(%d)|(-?[%d%.e%+]+)|(.+)$')
  if qi then
    redis.call('ZADD', KEYS[tonumber(qi)], score, id)
  end
end
if #due > 0 then
  redis.call('ZREM', KEYS[4], unpack(due))
  redis.call('PUBLISH', ARGV[3], #due)
end
local nxt = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
if #nxt == 0 then return { #due, -1 } end
return { #due, nxt[2] }
