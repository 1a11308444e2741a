-- Change a site's own word lists at once: replace them all, or add and remove entries; log it in the audit stream.
-- KEYS[1] the entries (hash: pattern -> JSON), KEYS[2] their version (counter), KEYS[3] the site's audit stream.
--! args: replace removed_count ...changes
-- changes: removed_count patterns to delete, then pattern/JSON pairs to set, then the audit entry's field/value pairs
-- after a '' separator. replace = 1 deletes every entry first. Returns {version, entries now}.
local n = tonumber(ARG.removed_count)
if ARG.replace == '1' then redis.call('DEL', KEYS[1]) end
local i = 1
while i <= n do
  redis.call('HDEL', KEYS[1], ARG.changes[i])
  i = i + 1
end
while ARG.changes[i] ~= '' do
  redis.call('HSET', KEYS[1], ARG.changes[i], ARG.changes[i + 1])
  i = i + 2
end
local audit = {}
for j = i + 1, #ARG.changes do audit[#audit + 1] = ARG.changes[j] end
local version = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], '*', unpack(audit))
return {version, redis.call('HLEN', KEYS[1])}
