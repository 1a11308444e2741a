-- Read one user's state, dropping expired strikes and bans on the way.
-- KEYS[1..5] the user's keys (see _user.lua). Returns the user state JSON.
--! args: now
local now = tonumber(ARG.now)
purge(now)
return user_state(now)
