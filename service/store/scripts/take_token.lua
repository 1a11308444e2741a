-- Take one token from a token bucket, atomically: a rate limit shared by every process on this Redis.
-- KEYS[1] the bucket (a hash: tokens, at = Redis server time in ms when they were counted).
--! args: per_s burst
-- The bucket starts full (burst tokens) and gains per_s tokens a second, up to burst. Time is Redis's
-- own clock (TIME), so every instance counts alike whatever its clock says.
-- Returns {1, 0} when a token was taken, else {0, ms until one is there}.
local per_s, burst = tonumber(ARG.per_s), tonumber(ARG.burst)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local found = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(found[1]), tonumber(found[2])
if not tokens or not at then
  tokens, at = burst, now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * per_s / 1000)
local taken, wait_ms = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
else
  wait_ms = math.ceil((1 - tokens) * 1000 / per_s)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', now)
-- A bucket left alone until it is full again is the same as none.
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / per_s) + 1000)
return {taken, wait_ms}
