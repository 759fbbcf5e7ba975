-- Index jobs that Postgres has committed.
-- KEYS[1..3] ready sets (critical, default, bulk), KEYS[4] delayed set.
-- ARGV[1] now (unix ms), ARGV[2] wake channel, then groups of 4: job id, queue index (1..3), ready score, ready-at (unix ms).
-- A job due later goes to the delayed set as "queueIndex|score|id" scored by its ready-at time, so the promoter
-- can move it without asking Postgres; a due job goes straight to its ready set. Idempotent: re-adding an id keeps one member.
local now = tonumber(ARGV[1])
local ready = 0
for i = 3, #ARGV, 4 do
  local id, qi, score, at = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], tonumber(ARGV[i + 3])
  if at > now then
    redis.call('ZADD', KEYS[4], at, qi .. '|' .. score .. '|' .. id)
  else
    redis.call('ZADD', KEYS[qi], score, id)
    ready = ready + 1
  end
end
if ready > 0 then
  redis.call('PUBLISH', ARGV[2], ready)
end
return ready
