-- One token-bucket decision, atomically, so every gateway replica shares the bucket.
-- KEYS[1] the bucket (a hash: tokens, ts). ARGV[1] refill rate in tokens per second (> 0), ARGV[2] burst (bucket size, >= 1),
-- ARGV[3] now in unix ms, or '' to use the Redis server's TIME (one clock for all replicas, whatever their skew).
-- Returns { allowed (1|0), whole tokens left, ms until a token is available (0 when allowed), ms until the bucket is full }.
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if not tokens or not ts then
  tokens = burst
  ts = now
end

-- A clock that steps back (another caller's clock, or a passed-in one) refills nothing; it never drains.
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end

-- Whole milliseconds, rounded up; the epsilon absorbs float noise (0.99 tokens at 10/s is 1 ms, not 1.0000000000000009 -> 2).
local function ms_until(missing)
  return math.max(0, math.ceil(missing * 1000 / rate - 1e-6))
end

local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = ms_until(1 - tokens)
end

local full = ms_until(burst - tokens)
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%d', ts))
-- A bucket that has refilled is the same as no bucket: let Redis forget it then (plus a second of slack).
redis.call('PEXPIRE', KEYS[1], full + 1000)
return { allowed, math.floor(tokens), wait, full }
