-- The site's side of a decision (or of its undo): the queue, the audit log, the training label.
-- KEYS[1] queue, KEYS[2] items, KEYS[3] leases, KEYS[4] lease owners, KEYS[5] audit stream, KEYS[6] labels,
-- KEYS[7] decision numbers recorded (hash: comment id -> number).
-- ARGV: 1 comment id, 2 decision number, 3 label JSON ("" removes the label), 4 back to the queue (0/1),
--       5 queue priority, 6 queue item JSON, 7.. audit field/value pairs.
-- Idempotent: a decision number already recorded is not recorded again.
local id, number = ARGV[1], tonumber(ARGV[2])
if (tonumber(redis.call('HGET', KEYS[7], id) or '0')) >= number then return 0 end
redis.call('HSET', KEYS[7], id, number)
redis.call('ZREM', KEYS[3], id)
redis.call('HDEL', KEYS[4], id)
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[5]), id)
  redis.call('HSET', KEYS[2], id, ARGV[6])
else
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
local fields = {}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('XADD', KEYS[5], '*', unpack(fields))
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[6], id)
else
  redis.call('HSET', KEYS[6], id, ARGV[3])
end
return 1
