-- Read one comment's records (a legacy record is rewritten on the way, as every script that reads one does).
-- KEYS[1..6] the user's keys (see _user.lua), KEYS[7] the user's lasting records, KEYS[8] the comment's full record.
--! args: comment_id now retention_s full_s
-- Returns false when there is no such comment, else {sha, received, state, verdict, decision, struck, banned,
-- decided categories (comma-joined), decisions, scores (hundredths, comma-joined), model version, reasons (comma-joined),
-- full record (JSON of its fields, or '' once it expired)}.
local now = tonumber(ARG.now)
local r = load_record(KEYS[7], record_field(ARG.comment_id), KEYS[8], now, tonumber(ARG.retention_s), tonumber(ARG.full_s))
if not r then return false end
local full = redis.call('HMGET', KEYS[8], 'assessment', 'fields', 'created')
local body = ''
if full[1] then body = cjson.encode({assessment = full[1], fields = full[2], created = full[3]}) end
return {r.sha, r.created, r.state, r.verdict, r.decision, r.struck, r.banned, category_list(r.decided), r.decisions,
        r.scores:byte(1) .. ',' .. r.scores:byte(2) .. ',' .. r.scores:byte(3), r.model, table.concat(reason_names(r.reasons), ','), body}
