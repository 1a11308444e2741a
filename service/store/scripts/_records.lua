-- The functions of the scripts that read or write a comment's records, prepended to them after _user.lua.

-- A comment's two records (service/store/comments.py), each a field of a hash of the user's, named by 8 bytes of
-- the comment id's SHA-1 (``field``, computed by the service). Small values in one hash keep Redis's compact
-- encoding: no key per comment.
-- The lasting record (records hash), kept for the retention, packed as
--   text sha (6 bytes) | received (uint32 s) | flags (byte: state, verdict, decision, struck, banned)
--   | decided categories (byte, a bit each) | decisions (uint16) | scores (3 bytes, hundredths)
--   | model (uint16: its number in the store's model list; 0: a length byte and the version follow)
--   | reasons (a byte each)
-- The full record (full hash), kept for the review period, while the comment waits for review, and through the undo
-- window of a decision, packed as
--   ends (uint32 s; 0: while it waits for review) | milliseconds of its arrival (uint16) | scores (3 x uint32, millionths)
--   | JSON [text, article_id, parent_id, author_name, created_at, spans]
-- Field '~' of each hash: when its next sweep of records past their term is due; '~p' of the full hash: how many of
-- its records wait for review (while any does, the hash does not expire).
-- A legacy record (one hash per comment holding both, before issue 24) is rewritten the first time it is read.
local STATE_CODE = {pending = 0, approved = 1, rejected = 2}
local STATE_NAME = {[0] = 'pending', 'approved', 'rejected'}
local VERDICT_CODE = {approve = 0, review = 1, reject = 2}
local VERDICT_NAME = {[0] = 'approve', 'review', 'reject'}
local DECISION_CODE = {[''] = 0, approve = 1, reject = 2}
local DECISION_NAME = {[0] = '', 'approve', 'reject'}
local CATEGORY_BIT = {abuse = 1, attack = 2, promotion = 4}
local CATEGORY_ORDER = {'abuse', 'attack', 'promotion'}
local REASON_PART = {{abuse = 0, attack = 1, promotion = 2}, {rule = 0, site = 1, model = 2}, {block = 0, review = 1, reject = 2}}
local REASON_NAME = {{'abuse', 'attack', 'promotion'}, {'rule', 'site', 'model'}, {'block', 'review', 'reject'}}
local DAY = 86400

local function unhex(h) return (h:gsub('..', function(c) return string.char(tonumber(c, 16)) end)) end
local function tohex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end

local function category_mask(joined)
  local mask = 0
  for c in string.gmatch(joined or '', '[^,]+') do mask = mask + (CATEGORY_BIT[c] or 0) end
  return mask
end

local function category_list(mask)
  local out = {}
  for i, c in ipairs(CATEGORY_ORDER) do
    if math.floor(mask / 2 ^ (i - 1)) % 2 == 1 then out[#out + 1] = c end
  end
  return table.concat(out, ',')
end

local function reason_codes(reasons)
  -- '<category>:<rule|site|model>:<block|review|reject>' -> one byte each, in order
  local out = {}
  for _, r in ipairs(reasons) do
    local a, b, c = string.match(r, '^(%a+):(%a+):(%a+)$')
    local x, y, z = REASON_PART[1][a or ''], REASON_PART[2][b or ''], REASON_PART[3][c or '']
    if x and y and z then out[#out + 1] = string.char(1 + x * 9 + y * 3 + z) end
  end
  return table.concat(out)
end

local function reason_names(codes)
  local out = {}
  for i = 1, #codes do
    local n = codes:byte(i) - 1
    out[#out + 1] = REASON_NAME[1][math.floor(n / 9) + 1] .. ':' .. REASON_NAME[2][math.floor(n / 3) % 3 + 1] .. ':' .. REASON_NAME[3][n % 3 + 1]
  end
  return out
end

local function hundredths(scores)
  -- three scores (a list, in category order) -> three bytes
  local out = ''
  for i = 1, 3 do out = out .. string.char(math.max(0, math.min(100, math.floor((tonumber(scores[i]) or 0) * 100 + 0.5)))) end
  return out
end

local function pack_record(r)
  local flags = STATE_CODE[r.state] + VERDICT_CODE[r.verdict] * 4 + DECISION_CODE[r.decision] * 16 + r.struck * 64 + r.banned * 128
  local model = struct.pack('>H', r.model)
  if r.model == 0 then model = model .. string.char(math.min(#r.version, 255)) .. r.version:sub(1, 255) end
  return struct.pack('>c6I4BBH', r.sha, math.floor(r.created), flags, r.decided, r.decisions) .. r.scores .. model .. r.reasons
end

local function unpack_record(raw)
  local sha, created, flags, decided, decisions, at = struct.unpack('>c6I4BBH', raw)
  local scores = raw:sub(at, at + 2)
  local model, next_at = struct.unpack('>H', raw, at + 3)
  local version = ''
  if model == 0 then
    local size = raw:byte(next_at)
    version = raw:sub(next_at + 1, next_at + size)
    next_at = next_at + 1 + size
  end
  return {
    sha = sha, created = created, state = STATE_NAME[flags % 4], verdict = VERDICT_NAME[math.floor(flags / 4) % 4],
    decision = DECISION_NAME[math.floor(flags / 16) % 4], struck = math.floor(flags / 64) % 2, banned = math.floor(flags / 128),
    decided = decided, decisions = decisions, scores = scores, model = model, version = version, reasons = raw:sub(next_at),
  }
end

local function sweep(hash, now, ends_at, slack, horizon)
  -- Drop the fields of ``hash`` whose ``ends_at(value)`` (nil: never) is past ``now``; the next sweep is due when the
  -- first of the others ends, plus ``slack`` (so at most once per ``slack`` per user). A new hash: due once the
  -- records about to be written can end (``horizon``), with nothing to read now.
  local due = redis.call('HGET', hash, '~')
  if not due then
    redis.call('HSET', hash, '~', math.floor(now + horizon + slack))
    return
  end
  if now < tonumber(due) then return end
  local first = nil
  local all = redis.call('HGETALL', hash)
  for i = 1, #all, 2 do
    if #all[i] == 8 then
      local ends = ends_at(all[i + 1])
      if ends ~= nil and ends < now then
        redis.call('HDEL', hash, all[i])
      elseif ends ~= nil and (first == nil or ends < first) then
        first = ends
      end
    end
  end
  redis.call('HSET', hash, '~', math.floor((first or now) + slack))
end

local function sweep_records(records, now, retention_s)
  sweep(records, now, function(raw) return struct.unpack('>I4', raw, 7) + retention_s end, DAY, retention_s)
end

local function save_record(records, field, r, retention_s)
  redis.call('HSET', records, field, pack_record(r))
  -- the whole hash goes a day after its newest record's term (an inactive user leaves nothing behind)
  redis.call('EXPIRE', records, math.ceil(retention_s + DAY))
end

-- the full record

local function full_ends(raw)
  local ends = struct.unpack('>I4', raw)
  if ends == 0 then return nil end
  return ends
end

local function sweep_full(full, now, full_s)
  sweep(full, now, full_ends, DAY, full_s)
end

local function put_full(full, field, ends, now, ms, exact, body, is_new)
  -- is_new: the comment has no full record yet (its first write: nothing to read before)
  local was_waiting = false
  if not is_new then
    local before = redis.call('HGET', full, field)
    was_waiting = before and struct.unpack('>I4', before) == 0
  end
  redis.call('HSET', full, field, struct.pack('>I4HI4I4I4', math.ceil(ends), ms, exact[1], exact[2], exact[3]) .. body)
  if ends == 0 then
    if not was_waiting then redis.call('HINCRBY', full, '~p', 1) end
    redis.call('PERSIST', full)
    return
  end
  if was_waiting and redis.call('HINCRBY', full, '~p', -1) <= 0 then redis.call('HDEL', full, '~p') end
  if redis.call('HEXISTS', full, '~p') == 0 then
    -- a day after the last term; a sweep on the user's next comment drops each record sooner
    local left = math.ceil(ends - now) + DAY
    if is_new or redis.call('TTL', full) < left then redis.call('EXPIRE', full, left) end
  end
end

local function save_full(full, field, ends, now, received, scores, body)
  -- A comment's first full record. ends: 0 while it waits for review; received: its arrival (seconds); scores: 3
  -- numbers. (A new record ends last of all the user's: its term is the longest, so it sets the hash's expiry.)
  local ms = math.floor((received - math.floor(received)) * 1000 + 0.5) % 1000
  local exact = {}
  for i = 1, 3 do exact[i] = math.max(0, math.floor((tonumber(scores[i]) or 0) * 1000000 + 0.5)) end
  put_full(full, field, ends, now, ms, exact, body, true)
end

local function set_full_ends(full, field, ends, now)
  -- Change when a full record ends (a decision); nothing when there is none, or it ended already.
  local raw = redis.call('HGET', full, field)
  if not raw then return end
  local was, ms, a, b, c, at = struct.unpack('>I4HI4I4I4', raw)
  if was ~= 0 and was < now then return end
  put_full(full, field, ends, now, ms, {a, b, c}, raw:sub(at), false)
end

local function read_full(full, field)
  -- Return {ends, milliseconds, scores (3, millionths), body JSON} or nil.
  local raw = redis.call('HGET', full, field)
  if not raw then return nil end
  local ends, ms, a, b, c, at = struct.unpack('>I4HI4I4I4', raw)
  return {ends = ends, ms = ms, scores = {a, b, c}, body = raw:sub(at)}
end

local LEGACY_FIELDS = {'sha', 'assessment', 'created', 'state', 'struck', 'decision', 'decided_categories', 'decisions',
                       'banned', 'fields'}

local function load_record(records, field, full, legacy, look_legacy, now, retention_s, full_s)
  -- Return the comment's lasting record (a table), or nil (none, or past its term); a legacy record is rewritten
  -- (looked for only with ``look_legacy``: the service knows when none can be left).
  local raw = redis.call('HGET', records, field)
  if raw then
    local r = unpack_record(raw)
    if r.created + retention_s < now then return nil end  -- past its term, not swept yet
    return r
  end
  if not look_legacy then return nil end
  local old = redis.call('HMGET', legacy, unpack(LEGACY_FIELDS))
  if not old[1] then return nil end
  local assessment = cjson.decode(old[2] or '{}')
  local scores = {}
  for i, c in ipairs(CATEGORY_ORDER) do scores[i] = (assessment.scores or {})[c] or 0 end
  local received = tonumber(old[3] or now)
  local r = {
    sha = unhex(old[1]:sub(1, 12)), created = received, state = old[4] or 'approved', verdict = assessment.verdict or 'approve',
    decision = old[6] or '', struck = tonumber(old[5] or '0'), banned = tonumber(old[9] or '0'),
    decided = category_mask(old[7]), decisions = tonumber(old[8] or '0'), scores = hundredths(scores), model = 0,
    version = assessment.model_version or '', reasons = reason_codes(assessment.reasons or {}),
  }
  save_record(records, field, r, retention_s)
  local ends = received + full_s
  if r.state == 'pending' then ends = 0 end
  if ends == 0 or ends > now then
    local fields = cjson.decode(old[10] or '{}')
    local spans = {}
    for _, s in ipairs(assessment.spans or {}) do spans[#spans + 1] = {s.start, s['end'], s.category, s.source} end
    local body = cjson.encode({fields.text or '', fields.article_id or cjson.null, fields.parent_id or cjson.null,
                               fields.author_name or cjson.null, fields.created_at or cjson.null, spans})
    save_full(full, field, ends, now, received, scores, body)
  end
  redis.call('DEL', legacy)
  return r
end
