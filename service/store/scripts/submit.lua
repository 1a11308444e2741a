-- Record a new comment of one user, once: strike and ban on rejection.
-- KEYS[1..6] the user's keys (see _user.lua), KEYS[7] the user's lasting records, KEYS[8] the user's full records,
-- KEYS[9] the comment's legacy record.
--! args: comment_id field legacy sha now verdict strike_weight strike_info strike_ttl_s ban_steps history_kept scores reasons model body retention_s full_s comments_kept verdict_event
-- field: the records' field of the comment (8 bytes of its id's SHA-1); legacy (0/1): look for a legacy record;
-- sha: 6 bytes of the text's SHA-256; scores the three scores comma-joined; reasons a JSON
-- list; model the model version's number (service/store/comments.py); body the full record's JSON; strike_info and
-- ban_steps are JSON. verdict_event (0/1): the site wants an event for every verdict.
-- Returns {status, user state JSON, banned (0/1)}; status "dup" when already recorded (its answer is read apart).
local id, now = ARG.comment_id, tonumber(ARG.now)
local retention_s, full_s = tonumber(ARG.retention_s), tonumber(ARG.full_s)
local field = ARG.field
local recorded = load_record(KEYS[7], field, KEYS[8], KEYS[9], ARG.legacy == '1', now, retention_s, full_s)
if recorded then
  return {'dup', user_state(now), recorded.banned}
end
purge(now)
sweep_records(KEYS[7], now, retention_s)
sweep_full(KEYS[8], now, full_s)
local banned = ban_until(now) ~= nil
local verdict = ARG.verdict
local state, struck = 'approved', 0
if banned then
  state = 'rejected'
elseif verdict == 'reject' then
  add_strike(id, tonumber(ARG.strike_weight), ARG.strike_info, now, tonumber(ARG.strike_ttl_s), cjson.decode(ARG.ban_steps), tonumber(ARG.history_kept))
  state, struck = 'rejected', 1
elseif verdict == 'review' then
  state = 'pending'
end
local banned_flag = 0
if banned then banned_flag = 1 end
local scores = {}
for score in string.gmatch(ARG.scores, '[^,]+') do scores[#scores + 1] = tonumber(score) end
save_record(KEYS[7], field, {
  sha = ARG.sha, created = now, state = state, verdict = verdict, decision = '', struck = struck, banned = banned_flag,
  decided = 0, decisions = 0, scores = hundredths(scores), model = tonumber(ARG.model), version = '',
  reasons = reason_codes(cjson.decode(ARG.reasons)),
}, retention_s)
local ends = now + full_s
if state == 'pending' then ends = 0 end
save_full(KEYS[8], field, ends, now, now, scores, ARG.body)
redis.call('LPUSH', KEYS[5], id)
redis.call('LTRIM', KEYS[5], 0, tonumber(ARG.comments_kept) - 1)
redis.call('EXPIRE', KEYS[5], math.ceil(retention_s))
if struck == 1 then
  remember(cjson.encode({type = 'strike', at = now, comment_id = id, by = 'auto'}), tonumber(ARG.history_kept))
  -- the user's history (capped) goes with the records of an inactive user
  redis.call('EXPIRE', KEYS[4], math.ceil(retention_s))
end
if ARG.verdict_event == '1' then
  emit({type = 'comment.verdict', at = now, comment_id = id, verdict = verdict, state = state, banned = banned_flag})
end
return {'new', user_state(now), banned_flag}
