-- A moderator's decision on one comment: strike on reject, lift the strike on approve;
-- or "undo": put back what the last decision changed (within a window, by the same moderator).
-- KEYS[1..6] the user's keys (see _user.lua), KEYS[7] the comment.
--! args: comment_id decision categories now strike_weight strike_info strike_ttl_s ban_steps history_kept event moderator undo_window_s
-- decision is "approve", "reject" or "undo"; categories comma-joined; strike_info, ban_steps and event are JSON.
-- Returns {status, decision number, previous decision, user state JSON, state}; status "missing",
-- "same" (nothing changed: a repeated request), "changed", or for undo "nothing"/"expired".
local id, decision, categories, now = ARG.comment_id, ARG.decision, ARG.categories, tonumber(ARG.now)
if redis.call('EXISTS', KEYS[7]) == 0 then return {'missing'} end
purge(now)
local previous = redis.call('HGET', KEYS[7], 'decision') or ''
local number = tonumber(redis.call('HGET', KEYS[7], 'decisions') or '0')
local state = redis.call('HGET', KEYS[7], 'state')
local struck = redis.call('HGET', KEYS[7], 'struck') == '1'
local ttl, steps, keep = tonumber(ARG.strike_ttl_s), cjson.decode(ARG.ban_steps), tonumber(ARG.history_kept)

local function restrike()
  -- Add the comment's strike again (its weight and reason were kept with the comment).
  local weight = tonumber(redis.call('HGET', KEYS[7], 'strike_weight') or ARG.strike_weight)
  local info = redis.call('HGET', KEYS[7], 'strike_info') or ARG.strike_info
  add_strike(id, weight, info, now, ttl, steps, keep)
end

if decision == 'undo' then
  local raw = redis.call('HGET', KEYS[7], 'undo')
  if not raw then return {'nothing', number, previous, user_state(now), state} end
  local undo = cjson.decode(raw)
  if undo.moderator ~= ARG.moderator or now - tonumber(undo.at) > tonumber(ARG.undo_window_s) then
    return {'expired', number, previous, user_state(now), state}
  end
  if struck and undo.struck == 0 then
    remove_strike(id, now, keep)
  elseif not struck and undo.struck == 1 then
    restrike()
  end
  number = number + 1
  redis.call('HSET', KEYS[7], 'decision', undo.decision, 'decided_categories', undo.categories, 'state', undo.state,
             'struck', undo.struck, 'decisions', number, 'decided_at', now)
  redis.call('HDEL', KEYS[7], 'undo')
  remember(ARG.event, keep)
  emit({type = 'comment.decision_undone', at = now, comment_id = id, undone = previous, decision = undo.decision,
        categories = undo.categories, state = undo.state, number = number, by = ARG.moderator})
  return {'changed', number, previous, user_state(now), undo.state}
end

if previous == decision and (redis.call('HGET', KEYS[7], 'decided_categories') or '') == categories then
  return {'same', number, previous, user_state(now), state}
end
local was_struck = 0
if struck then was_struck = 1 end
redis.call('HSET', KEYS[7], 'undo', cjson.encode({decision = previous, categories = redis.call('HGET', KEYS[7], 'decided_categories') or '',
           state = state, struck = was_struck, moderator = ARG.moderator, at = now}))
if decision == 'reject' and not struck then
  redis.call('HSET', KEYS[7], 'strike_weight', ARG.strike_weight, 'strike_info', ARG.strike_info)
  add_strike(id, tonumber(ARG.strike_weight), ARG.strike_info, now, ttl, steps, keep)
  redis.call('HSET', KEYS[7], 'struck', 1)
elseif decision == 'approve' and struck then
  remove_strike(id, now, keep)
  redis.call('HSET', KEYS[7], 'struck', 0)
end
number = number + 1
state = 'approved'
if decision == 'reject' then state = 'rejected' end
redis.call('HSET', KEYS[7], 'decision', decision, 'decided_categories', categories, 'decisions', number,
           'state', state, 'decided_at', now)
remember(ARG.event, keep)
emit({type = 'comment.decided', at = now, comment_id = id, decision = decision, categories = categories,
      previous = previous, state = state, number = number, by = ARG.moderator})
return {'changed', number, previous, user_state(now), state}
