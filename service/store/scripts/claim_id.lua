-- Claim a comment id for one site: the first request wins, the others read the claim.
-- KEYS[1] the claim. ARGV: 1 "<user>\n<text sha>", 2 retention seconds.
-- Returns the existing claim, or false when this call made it.
local value = redis.call('GET', KEYS[1])
if value then return value end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
return false
