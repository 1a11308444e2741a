-- The site's side of a decision (or of its undo): the queue, the audit log, the training label.
-- KEYS[1] queue, KEYS[2] items, KEYS[3] leases, KEYS[4] lease owners, KEYS[5] audit stream, KEYS[6] labels,
-- KEYS[7] decision numbers recorded (hash: comment id -> number).
--! args: comment_id number label requeue priority item ...audit
-- label is JSON ("" removes the label); requeue (0/1) puts the comment back with priority and item JSON;
-- audit is the entry's field/value pairs.
-- Idempotent: a decision number already recorded is not recorded again.
local id, number = ARG.comment_id, tonumber(ARG.number)
if (tonumber(redis.call('HGET', KEYS[7], id) or '0')) >= number then return 0 end
redis.call('HSET', KEYS[7], id, number)
redis.call('ZREM', KEYS[3], id)
redis.call('HDEL', KEYS[4], id)
if ARG.requeue == '1' then
  redis.call('ZADD', KEYS[1], tonumber(ARG.priority), id)
  redis.call('HSET', KEYS[2], id, ARG.item)
else
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
redis.call('XADD', KEYS[5], '*', unpack(ARG.audit))
if ARG.label == '' then
  redis.call('HDEL', KEYS[6], id)
else
  redis.call('HSET', KEYS[6], id, ARG.label)
end
return 1
