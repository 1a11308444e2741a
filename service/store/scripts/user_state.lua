-- Read one user's state, dropping expired strikes and bans on the way.
-- KEYS[1..5] the user's keys (see _user.lua). ARGV: 1 now. Returns the user state JSON.
local now = tonumber(ARGV[1])
purge(now)
return user_state(now)
