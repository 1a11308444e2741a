-- Record a new comment of one user, once: strike and ban on rejection.
-- KEYS[1..6] the user's keys (see _user.lua), KEYS[7] the comment.
--! args: comment_id sha now verdict strike_weight strike_info strike_ttl_s ban_steps assessment history_kept fields retention_s comments_kept verdict_event
-- strike_info, ban_steps, assessment and fields are JSON; verdict_event (0/1): the site wants an event for every verdict.
-- Returns {status, sha, assessment, user state JSON, banned (0/1)}; status "dup" when already recorded.
local id, sha, now = ARG.comment_id, ARG.sha, tonumber(ARG.now)
local stored = redis.call('HGET', KEYS[7], 'sha')
if stored then
  return {'dup', stored, redis.call('HGET', KEYS[7], 'assessment'), redis.call('HGET', KEYS[7], 'user'),
          tonumber(redis.call('HGET', KEYS[7], 'banned') or '0')}
end
purge(now)
local banned = ban_until(now) ~= nil
local verdict = ARG.verdict
local state, struck = 'approved', 0
if banned then
  state = 'rejected'
elseif verdict == 'reject' then
  add_strike(id, tonumber(ARG.strike_weight), ARG.strike_info, now, tonumber(ARG.strike_ttl_s), cjson.decode(ARG.ban_steps), tonumber(ARG.history_kept))
  redis.call('HSET', KEYS[7], 'strike_weight', ARG.strike_weight, 'strike_info', ARG.strike_info)
  state, struck = 'rejected', 1
elseif verdict == 'review' then
  state = 'pending'
end
local user = user_state(now)
local banned_flag = 0
if banned then banned_flag = 1 end
redis.call('HSET', KEYS[7], 'sha', sha, 'assessment', ARG.assessment, 'user', user, 'banned', banned_flag,
           'state', state, 'struck', struck, 'created', now, 'fields', ARG.fields, 'decisions', 0)
redis.call('EXPIRE', KEYS[7], tonumber(ARG.retention_s))
redis.call('LPUSH', KEYS[5], id)
redis.call('LTRIM', KEYS[5], 0, tonumber(ARG.comments_kept) - 1)
if struck == 1 then
  remember(cjson.encode({type = 'strike', at = now, comment_id = id, by = 'auto'}), tonumber(ARG.history_kept))
end
if ARG.verdict_event == '1' then
  emit({type = 'comment.verdict', at = now, comment_id = id, verdict = verdict, state = state, banned = banned_flag})
end
return {'new', sha, ARG.assessment, user, banned_flag}
