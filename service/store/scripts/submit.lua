-- Record a new comment of one user, once: strike and ban on rejection.
-- KEYS[1..6] the user's keys (see _user.lua), KEYS[7] the user's lasting records, KEYS[8] the comment's full record.
--! args: comment_id sha now verdict strike_weight strike_info strike_ttl_s ban_steps assessment history_kept fields retention_s full_s comments_kept verdict_event
-- sha is the text's SHA-256 (its first 16 hex digits are kept); strike_info, ban_steps, assessment and fields are JSON.
-- verdict_event (0/1): the site wants an event for every verdict.
-- Returns {status, sha, user state JSON, banned (0/1)}; status "dup" when already recorded (sha: the one recorded).
local id, now = ARG.comment_id, tonumber(ARG.now)
local retention_s, full_s = tonumber(ARG.retention_s), tonumber(ARG.full_s)
local field = record_field(id)
local recorded = load_record(KEYS[7], field, KEYS[8], now, retention_s, full_s)
if recorded then
  return {'dup', recorded.sha, user_state(now), recorded.banned}
end
purge(now)
sweep_records(KEYS[7], now, retention_s)
local banned = ban_until(now) ~= nil
local verdict = ARG.verdict
local state, struck = 'approved', 0
if banned then
  state = 'rejected'
elseif verdict == 'reject' then
  add_strike(id, tonumber(ARG.strike_weight), ARG.strike_info, now, tonumber(ARG.strike_ttl_s), cjson.decode(ARG.ban_steps), tonumber(ARG.history_kept))
  redis.call('HSET', KEYS[8], 'strike_weight', ARG.strike_weight, 'strike_info', ARG.strike_info)
  state, struck = 'rejected', 1
elseif verdict == 'review' then
  state = 'pending'
end
local banned_flag = 0
if banned then banned_flag = 1 end
local assessment = cjson.decode(ARG.assessment)
local sha = ARG.sha:sub(1, 16)
save_record(KEYS[7], field, {
  sha = sha, created = now, state = state, verdict = verdict, decision = '', struck = struck, banned = banned_flag,
  decided = 0, decisions = 0, scores = score_bytes(assessment.scores), model = assessment.model_version or '',
  reasons = reason_codes(assessment.reasons),
}, now, retention_s)
redis.call('HSET', KEYS[8], 'assessment', ARG.assessment, 'fields', ARG.fields, 'created', now)
keep_full(KEYS[8], now, state, now, full_s)
redis.call('LPUSH', KEYS[5], id)
redis.call('LTRIM', KEYS[5], 0, tonumber(ARG.comments_kept) - 1)
if struck == 1 then
  remember(cjson.encode({type = 'strike', at = now, comment_id = id, by = 'auto'}), tonumber(ARG.history_kept))
end
if ARG.verdict_event == '1' then
  emit({type = 'comment.verdict', at = now, comment_id = id, verdict = verdict, state = state, banned = banned_flag})
end
return {'new', sha, user_state(now), banned_flag}
