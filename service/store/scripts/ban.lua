-- Ban, unban or reset the strikes of one user by hand.
-- KEYS[1..5] the user's keys (see _user.lua).
-- ARGV: 1 action ("ban"|"unban"|"reset"), 2 now, 3 ban end (0: for good), 4 reason, 5 by,
--       6 history kept, 7 event JSON
-- Returns the user state JSON.
local action, now = ARGV[1], tonumber(ARGV[2])
purge(now)
if action == 'ban' then
  set_ban(now, tonumber(ARGV[3]), ARGV[4], ARGV[5], 0, 0, 86400)
elseif action == 'unban' then
  redis.call('DEL', KEYS[3])
elseif action == 'reset' then
  redis.call('DEL', KEYS[1], KEYS[2])
end
remember(ARGV[7], tonumber(ARGV[6]))
return user_state(now)
