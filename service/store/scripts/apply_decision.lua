-- A moderator's decision on one comment: strike on reject, lift the strike on approve;
-- or "undo": put back what the last decision changed (within a window, by the same moderator).
-- KEYS[1..6] the user's keys (see _user.lua), KEYS[7] the user's lasting records, KEYS[8] the comment's full record.
--! args: comment_id decision categories now strike_weight strike_info strike_ttl_s ban_steps history_kept event moderator undo_window_s retention_s full_s
-- decision is "approve", "reject" or "undo"; categories comma-joined; strike_info, ban_steps and event are JSON.
-- Returns {status, decision number, previous decision, user state JSON, state}; status "missing",
-- "same" (nothing changed: a repeated request), "changed", or for undo "nothing"/"expired".
local id, decision, categories, now = ARG.comment_id, ARG.decision, ARG.categories, tonumber(ARG.now)
local retention_s, full_s = tonumber(ARG.retention_s), tonumber(ARG.full_s)
local field = record_field(id)
local record = load_record(KEYS[7], field, KEYS[8], now, retention_s, full_s)
if not record then return {'missing'} end
purge(now)
local previous = record.decision
local number = record.decisions
local state = record.state
local struck = record.struck == 1
local ttl, steps, history = tonumber(ARG.strike_ttl_s), cjson.decode(ARG.ban_steps), tonumber(ARG.history_kept)

local function keep(now_state)
  -- The full record outlives the undo window of this decision (and stays while the comment waits for review).
  if redis.call('EXISTS', KEYS[8]) == 0 then return end
  keep_full(KEYS[8], math.max(record.created, now + tonumber(ARG.undo_window_s) + 60 - full_s), now_state, now, full_s)
end

local function restrike()
  -- Add the comment's strike again (its weight and reason were kept with the comment).
  local weight = tonumber(redis.call('HGET', KEYS[8], 'strike_weight') or ARG.strike_weight)
  local info = redis.call('HGET', KEYS[8], 'strike_info') or ARG.strike_info
  add_strike(id, weight, info, now, ttl, steps, history)
end

if decision == 'undo' then
  local raw = redis.call('HGET', KEYS[8], 'undo')
  if not raw then return {'nothing', number, previous, user_state(now), state} end
  local undo = cjson.decode(raw)
  if undo.moderator ~= ARG.moderator or now - tonumber(undo.at) > tonumber(ARG.undo_window_s) then
    return {'expired', number, previous, user_state(now), state}
  end
  if struck and undo.struck == 0 then
    remove_strike(id, now, history)
  elseif not struck and undo.struck == 1 then
    restrike()
  end
  number = number + 1
  record.decision, record.decided, record.state = undo.decision, category_mask(undo.categories), undo.state
  record.struck, record.decisions = undo.struck, number
  save_record(KEYS[7], field, record, now, retention_s)
  redis.call('HDEL', KEYS[8], 'undo')
  keep(undo.state)
  remember(ARG.event, history)
  emit({type = 'comment.decision_undone', at = now, comment_id = id, undone = previous, decision = undo.decision,
        categories = undo.categories, state = undo.state, number = number, by = ARG.moderator})
  return {'changed', number, previous, user_state(now), undo.state}
end

if previous == decision and record.decided == category_mask(categories) then
  return {'same', number, previous, user_state(now), state}
end
local was_struck = 0
if struck then was_struck = 1 end
redis.call('HSET', KEYS[8], 'undo', cjson.encode({decision = previous, categories = category_list(record.decided),
           state = state, struck = was_struck, moderator = ARG.moderator, at = now}))
if decision == 'reject' and not struck then
  redis.call('HSET', KEYS[8], 'strike_weight', ARG.strike_weight, 'strike_info', ARG.strike_info)
  add_strike(id, tonumber(ARG.strike_weight), ARG.strike_info, now, ttl, steps, history)
  record.struck = 1
elseif decision == 'approve' and struck then
  remove_strike(id, now, history)
  record.struck = 0
end
number = number + 1
state = 'approved'
if decision == 'reject' then state = 'rejected' end
record.decision, record.decided, record.decisions, record.state = decision, category_mask(categories), number, state
save_record(KEYS[7], field, record, now, retention_s)
keep(state)
remember(ARG.event, history)
emit({type = 'comment.decided', at = now, comment_id = id, decision = decision, categories = categories,
      previous = previous, state = state, number = number, by = ARG.moderator})
return {'changed', number, previous, user_state(now), state}
