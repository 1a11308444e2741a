-- The site's side of a ban, unban or strike reset: its audit entry, written once.
-- KEYS[1] audit stream, KEYS[2] numbers recorded (hash: "user\n<user id>" -> "<number> <time>" of the last action
-- logged), KEYS[3] the sweeps' cursors.
--! args: user_id number now audit_min_id recorded_before ...audit
-- number is what change_user.lua returned; audit is the entry's field/value pairs; the bounds as in
-- record_decision.lua.
-- Idempotent: an action number already recorded is not recorded again.
local field, number = 'user\n' .. ARG.user_id, tonumber(ARG.number)
local recorded = redis.call('HGET', KEYS[2], field)
if recorded and tonumber(string.match(recorded, '^%d+')) >= number then return 0 end
local new_number = redis.call('HSET', KEYS[2], field, number .. ' ' .. ARG.now) == 1
redis.call('XADD', KEYS[1], '*', unpack(ARG.audit))
redis.call('XTRIM', KEYS[1], 'MINID', ARG.audit_min_id)
if new_number then sweep_step(KEYS[2], KEYS[3], 'recorded', 16, recorded_before(tonumber(ARG.recorded_before))) end
return 1
