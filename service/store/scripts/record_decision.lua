-- The site's side of a decision (or of its undo): the queue, the audit log, the training label.
-- KEYS[1] queue, KEYS[2] items, KEYS[3] leases, KEYS[4] lease owners, KEYS[5] audit stream, KEYS[6] labels,
-- KEYS[7] decision numbers recorded (hash: comment id -> "<number> <time>"), KEYS[8] the sweeps' cursors.
--! args: comment_id number now label requeue priority item audit_min_id labels_before recorded_before ...audit
-- label is JSON ("" removes the label); requeue (0/1) puts the comment back with priority and item JSON;
-- audit is the entry's field/value pairs. Bounds: audit entries before audit_min_id are trimmed, and a step of the
-- sweeps drops labels decided before labels_before and numbers recorded before recorded_before (they only stop a
-- retried request from being recorded twice).
-- Idempotent: a decision number already recorded is not recorded again.
local id, number = ARG.comment_id, tonumber(ARG.number)
local recorded = redis.call('HGET', KEYS[7], id)
if recorded and tonumber(string.match(recorded, '^%d+')) >= number then return 0 end
local new_number = redis.call('HSET', KEYS[7], id, number .. ' ' .. ARG.now) == 1
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
redis.call('XTRIM', KEYS[5], 'MINID', ARG.audit_min_id)
local new_label = false
if ARG.label == '' then
  redis.call('HDEL', KEYS[6], id)
else
  new_label = redis.call('HSET', KEYS[6], id, ARG.label) == 1
end
if new_label then
  local labels_before = tonumber(ARG.labels_before)
  sweep_step(KEYS[6], KEYS[8], 'labels', 16, function(value)
    local at = tonumber(cjson.decode(value).decided_at)
    return at ~= nil and at < labels_before
  end)
end
if new_number then sweep_step(KEYS[7], KEYS[8], 'recorded', 16, recorded_before(tonumber(ARG.recorded_before))) end
return 1
