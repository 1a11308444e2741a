-- Record a new comment of one user, once: strike and ban on rejection.
-- KEYS[1..5] the user's keys (see _user.lua), KEYS[6] the comment.
-- ARGV: 1 comment id, 2 text sha, 3 now, 4 verdict, 5 strike weight, 6 strike info JSON,
--       7 strike ttl, 8 ban steps JSON, 9 assessment JSON, 10 history kept, 11 comment fields JSON,
--       12 retention seconds, 13 comments kept
-- Returns {status, sha, assessment, user state JSON, banned (0/1)}; status "dup" when already recorded.
local id, sha, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local stored = redis.call('HGET', KEYS[6], 'sha')
if stored then
  return {'dup', stored, redis.call('HGET', KEYS[6], 'assessment'), redis.call('HGET', KEYS[6], 'user'),
          tonumber(redis.call('HGET', KEYS[6], 'banned') or '0')}
end
purge(now)
local banned = ban_until(now) ~= nil
local verdict = ARGV[4]
local state, struck = 'approved', 0
if banned then
  state = 'rejected'
elseif verdict == 'reject' then
  add_strike(id, tonumber(ARGV[5]), ARGV[6], now, tonumber(ARGV[7]), cjson.decode(ARGV[8]), tonumber(ARGV[10]))
  redis.call('HSET', KEYS[6], 'strike_weight', ARGV[5], 'strike_info', ARGV[6])
  state, struck = 'rejected', 1
elseif verdict == 'review' then
  state = 'pending'
end
local user = user_state(now)
local banned_flag = 0
if banned then banned_flag = 1 end
redis.call('HSET', KEYS[6], 'sha', sha, 'assessment', ARGV[9], 'user', user, 'banned', banned_flag,
           'state', state, 'struck', struck, 'created', now, 'fields', ARGV[11], 'decisions', 0)
redis.call('EXPIRE', KEYS[6], tonumber(ARGV[12]))
redis.call('LPUSH', KEYS[5], id)
redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[13]) - 1)
if struck == 1 then
  remember(cjson.encode({type = 'strike', at = now, comment_id = id, by = 'auto'}), tonumber(ARGV[10]))
end
return {'new', sha, ARGV[9], user, banned_flag}
