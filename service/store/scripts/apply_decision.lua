-- A moderator's decision on one comment: strike on reject, lift the strike on approve;
-- or "undo": put back what the last decision changed (within a window, by the same moderator).
-- KEYS[1..6] the user's keys (see _user.lua), KEYS[7] the user's lasting records, KEYS[8] the user's full records,
-- KEYS[9] the comment's legacy record, KEYS[10] the undo of the comment's latest decision (kept for the window).
--! args: comment_id field legacy decision categories now strike_weight strike_info strike_ttl_s ban_steps history_kept event moderator undo_window_s retention_s full_s
-- field and legacy as in submit.lua; decision is "approve", "reject" or "undo"; categories comma-joined;
-- strike_info, ban_steps and event are JSON.
-- Returns {status, decision number, previous decision, user state JSON, state}; status "missing",
-- "same" (nothing changed: a repeated request), "changed", or for undo "nothing"/"expired".
local id, decision, categories, now = ARG.comment_id, ARG.decision, ARG.categories, tonumber(ARG.now)
local retention_s, full_s, window = tonumber(ARG.retention_s), tonumber(ARG.full_s), tonumber(ARG.undo_window_s)
local field = ARG.field
local record = load_record(KEYS[7], field, KEYS[8], KEYS[9], ARG.legacy == '1', now, retention_s, full_s)
if not record then return {'missing'} end
purge(now)
local previous = record.decision
local number = record.decisions
local state = record.state
local struck = record.struck == 1
local ttl, steps, history = tonumber(ARG.strike_ttl_s), cjson.decode(ARG.ban_steps), tonumber(ARG.history_kept)

local function decided(new_state)
  -- Save the record; the full record now ends with the review period, or the undo window when that is later (and
  -- waits again when the comment goes back to the queue).
  record.state = new_state
  save_record(KEYS[7], field, record, retention_s)
  local ends = 0
  if new_state ~= 'pending' then ends = math.max(record.created + full_s, now + window + 60) end
  set_full_ends(KEYS[8], field, ends, now)
end

if decision == 'undo' then
  local raw = redis.call('GET', KEYS[10])
  if not raw then return {'nothing', number, previous, user_state(now), state} end
  local undo = cjson.decode(raw)
  if undo.moderator ~= ARG.moderator or now - tonumber(undo.at) > window then
    return {'expired', number, previous, user_state(now), state}
  end
  if struck and undo.struck == 0 then
    remove_strike(id, now, history)
  elseif not struck and undo.struck == 1 then
    -- the strike the decision lifted, as it was
    add_strike(id, tonumber(undo.weight or ARG.strike_weight), undo.strike or ARG.strike_info, now, ttl, steps, history)
  end
  number = number + 1
  record.decision, record.decided, record.struck, record.decisions = undo.decision, category_mask(undo.categories), undo.struck, number
  decided(undo.state)
  redis.call('DEL', KEYS[10])
  remember(ARG.event, history)
  emit({type = 'comment.decision_undone', at = now, comment_id = id, undone = previous, decision = undo.decision,
        categories = undo.categories, state = undo.state, number = number, by = ARG.moderator})
  return {'changed', number, previous, user_state(now), undo.state}
end

if previous == decision and record.decided == category_mask(categories) then
  return {'same', number, previous, user_state(now), state}
end
local undo = {decision = previous, categories = category_list(record.decided), state = state, struck = record.struck,
              moderator = ARG.moderator, at = now}
if decision == 'reject' and not struck then
  add_strike(id, tonumber(ARG.strike_weight), ARG.strike_info, now, ttl, steps, history)
  record.struck = 1
elseif decision == 'approve' and struck then
  local info = redis.call('HGET', KEYS[2], id)
  if info then undo.strike, undo.weight = info, tonumber(cjson.decode(info).weight) end
  remove_strike(id, now, history)
  record.struck = 0
end
redis.call('SET', KEYS[10], cjson.encode(undo), 'EX', math.ceil(window) + 60)
number = number + 1
local new_state = 'approved'
if decision == 'reject' then new_state = 'rejected' end
record.decision, record.decided, record.decisions = decision, category_mask(categories), number
decided(new_state)
remember(ARG.event, history)
emit({type = 'comment.decided', at = now, comment_id = id, decision = decision, categories = categories,
      previous = previous, state = new_state, number = number, by = ARG.moderator})
return {'changed', number, previous, user_state(now), new_state}
