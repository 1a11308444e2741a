-- Ban, unban or reset the strikes of one user by hand.
-- KEYS[1..6] the user's keys (see _user.lua), KEYS[7] the number of such actions so far.
--! args: action now until_ reason by history_kept event
-- action is "ban", "unban" or "reset"; until_ is the ban's end (0: for good); event is JSON for the history.
-- Returns {user state JSON, number of this action}: the number makes the audit entry (another slot) idempotent.
local action, now = ARG.action, tonumber(ARG.now)
purge(now)
if action == 'ban' then
  set_ban(now, tonumber(ARG.until_), ARG.reason, ARG.by, 0, 0, 86400)
  emit({type = 'user.banned', at = now, ['until'] = tonumber(ARG.until_), reason = ARG.reason, by = ARG.by})
elseif action == 'unban' then
  if ban_until(now) ~= nil then
    emit({type = 'user.unbanned', at = now, reason = ARG.reason, by = ARG.by})
  end
  redis.call('DEL', KEYS[3])
elseif action == 'reset' then
  emit({type = 'user.strikes_reset', at = now, reason = ARG.reason, by = ARG.by, strikes = active_strikes()})
  redis.call('DEL', KEYS[1], KEYS[2])
end
remember(ARG.event, tonumber(ARG.history_kept))
return {user_state(now), redis.call('INCR', KEYS[7])}
