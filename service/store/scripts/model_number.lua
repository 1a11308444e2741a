-- The number of a model version in the lasting records (two bytes there instead of the version), given once.
-- KEYS[1] the numbers (hash: version -> number, '#<number>' -> version, '#' -> the last number given).
--! args: version
local number = redis.call('HGET', KEYS[1], ARG.version)
if number then return tonumber(number) end
number = redis.call('HINCRBY', KEYS[1], '#', 1)
redis.call('HSET', KEYS[1], ARG.version, number, '#' .. number, ARG.version)
return number
