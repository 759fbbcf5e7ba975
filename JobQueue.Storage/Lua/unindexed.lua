-- Which of these jobs are in neither their ready set nor the claim set?
-- KEYS[1..3] ready sets, KEYS[4] claim set. ARGV: pairs of job id, queue index.
local missing = {}
for i = 1, #ARGV, 2 do
  local id, qi = ARGV[i], tonumber(ARGV[i + 1])
  if not redis.call('ZSCORE', KEYS[qi], id) and not redis.call('ZSCORE', KEYS[4], id) then
    missing[#missing + 1] = id
  end
end
return missing
