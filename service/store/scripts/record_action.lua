-- The site's side of a ban, unban or strike reset: its audit entry, written once.
-- KEYS[1] audit stream, KEYS[2] numbers recorded (hash: "user\n<user id>" -> number of the last action logged).
--! args: user_id number ...audit
-- number is what change_user.lua returned; audit is the entry's field/value pairs.
-- Idempotent: an action number already recorded is not recorded again.
local field, number = 'user\n' .. ARG.user_id, tonumber(ARG.number)
if (tonumber(redis.call('HGET', KEYS[2], field) or '0')) >= number then return 0 end
redis.call('HSET', KEYS[2], field, number)
redis.call('XADD', KEYS[1], '*', unpack(ARG.audit))
return 1
