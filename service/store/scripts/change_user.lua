-- Ban, unban or reset the strikes of one user by hand.
-- KEYS[1..5] the user's keys (see _user.lua), KEYS[6] the number of such actions so far.
--! args: action now until_ reason by history_kept event
-- action is "ban", "unban" or "reset"; until_ is the ban's end (0: for good); event is JSON for the history.
-- Returns {user state JSON, number of this action}: the number makes the audit entry (another slot) idempotent.
local action, now = ARG.action, tonumber(ARG.now)
purge(now)
if action == 'ban' then
  set_ban(now, tonumber(ARG.until_), ARG.reason, ARG.by, 0, 0, 86400)
elseif action == 'unban' then
  redis.call('DEL', KEYS[3])
elseif action == 'reset' then
  redis.call('DEL', KEYS[1], KEYS[2])
end
remember(ARG.event, tonumber(ARG.history_kept))
return {user_state(now), redis.call('INCR', KEYS[6])}
