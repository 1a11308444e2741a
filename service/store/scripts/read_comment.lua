-- Read one comment's records (a legacy record is rewritten on the way, as every script that reads one does).
-- KEYS[1..6] the user's keys (see _user.lua), KEYS[7] the user's lasting records, KEYS[8] the user's full records,
-- KEYS[9] the comment's legacy record.
--! args: field legacy now retention_s full_s
-- field and legacy as in submit.lua. Returns false when there is no such comment, else {sha, received (s), state, verdict, decision, struck, banned,
-- decided categories (comma-joined), decisions, scores (hundredths, comma-joined), model number, model version (when
-- the number is 0), reasons (comma-joined), and of the full record ('' once it ended): received milliseconds, scores
-- (millionths, comma-joined), body JSON}.
local now = tonumber(ARG.now)
local field = ARG.field
local r = load_record(KEYS[7], field, KEYS[8], KEYS[9], ARG.legacy == '1', now, tonumber(ARG.retention_s), tonumber(ARG.full_s))
if not r then return false end
local full = read_full(KEYS[8], field)
local ms, exact, body = '', '', ''
if full and (full.ends == 0 or full.ends >= now) then
  ms, exact, body = full.ms, table.concat(full.scores, ','), full.body
end
return {tohex(r.sha), r.created, r.state, r.verdict, r.decision, r.struck, r.banned, category_list(r.decided), r.decisions,
        r.scores:byte(1) .. ',' .. r.scores:byte(2) .. ',' .. r.scores:byte(3), r.model, r.version,
        table.concat(reason_names(r.reasons), ','), ms, exact, body}
