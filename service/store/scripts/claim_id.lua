-- Claim a comment id for one site: the first request wins, the others read the claim.
-- KEYS[1] the claim.
--! args: claim retention_s
-- claim is "<user>\n<text sha>".
-- Returns the existing claim, or false when this call made it.
local value = redis.call('GET', KEYS[1])
if value then return value end
redis.call('SET', KEYS[1], ARG.claim, 'EX', tonumber(ARG.retention_s))
return false
