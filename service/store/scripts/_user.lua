-- Shared by the scripts that change one (site, user). Prepended to each of them.
-- KEYS[1] strikes (zset: comment id -> expiry), KEYS[2] strike info (hash),
-- KEYS[3] ban (hash), KEYS[4] history (list), KEYS[5] recent comments (list),
-- KEYS[6] outbox (stream: events of this user's changes for the site's event log, service/events.py).
-- Times are seconds since the epoch passed in by the service (injectable), never Redis TIME.

local function emit(event)
  -- An event the site must learn of, written in the same step as the change it tells of.
  redis.call('XADD', KEYS[6], '*', 'e', cjson.encode(event))
end

local function emit_json(event)
  -- An event prepared by the service (JSON), or nothing for ''.
  if event ~= nil and event ~= '' then redis.call('XADD', KEYS[6], '*', 'e', event) end
end

local function purge(now)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
  for _, id in ipairs(expired) do
    redis.call('ZREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
  end
end

local function active_strikes()
  local total = 0
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    local info = redis.call('HGET', KEYS[2], id)
    if info then total = total + (tonumber(cjson.decode(info).weight) or 1) end
  end
  return total
end

local function ban_until(now)
  -- Return the ban's end (0: for good) or nil when not banned; drop an expired ban.
  local value = redis.call('HGET', KEYS[3], 'until')
  if not value then return nil end
  value = tonumber(value)
  if value == 0 or value > now then return value end
  redis.call('DEL', KEYS[3])
  return nil
end

local function remember(event, keep)
  redis.call('LPUSH', KEYS[4], event)
  redis.call('LTRIM', KEYS[4], 0, keep - 1)
end

local function user_state(now)
  local until_ = ban_until(now)
  local out = {strikes = active_strikes(), banned = until_ ~= nil, banned_until = cjson.null}
  if until_ and until_ > 0 then out.banned_until = until_ end
  return cjson.encode(out)
end

local function set_ban(now, until_, reason, by, auto, threshold, keep_s)
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'until', until_, 'reason', reason, 'by', by, 'at', now, 'auto', auto, 'threshold', threshold)
  if until_ > 0 then
    -- Redis forgets it a day after it ends (the service's clock decides when it ends).
    redis.call('EXPIRE', KEYS[3], math.max(1, math.ceil(until_ - now)) + keep_s)
  end
end

local function add_strike(id, weight, info, now, ttl, steps, history_keep)
  -- Add a strike; ban when the active strikes cross a step. Returns the step crossed or nil.
  purge(now)
  local before = active_strikes()
  redis.call('ZADD', KEYS[1], now + ttl, id)
  redis.call('HSET', KEYS[2], id, info)
  local after = before + weight
  local crossed = nil
  for _, step in ipairs(steps) do
    if before < step[1] and after >= step[1] then crossed = step end
  end
  if crossed then
    local current = ban_until(now)
    local new_until = 0
    if crossed[2] > 0 then new_until = now + crossed[2] end
    local longer = current ~= nil and (current == 0 or (new_until ~= 0 and current >= new_until))
    if not longer then
      set_ban(now, new_until, 'strikes:' .. after, 'policy', 1, crossed[1], 86400)
      remember(cjson.encode({type = 'ban', at = now, ['until'] = new_until, reason = 'strikes:' .. after, by = 'policy'}), history_keep)
      emit({type = 'user.banned', at = now, ['until'] = new_until, reason = 'strikes:' .. after, by = 'policy',
            strikes = after, threshold = crossed[1], comment_id = id, strike = info})
    end
  end
  return crossed
end

local function remove_strike(id, now, history_keep)
  -- Remove a strike; lift an automatic ban whose step is no longer reached.
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  purge(now)
  local count = active_strikes()
  if ban_until(now) ~= nil and redis.call('HGET', KEYS[3], 'auto') == '1' then
    local threshold = tonumber(redis.call('HGET', KEYS[3], 'threshold') or '0')
    if count < threshold then
      redis.call('DEL', KEYS[3])
      remember(cjson.encode({type = 'unban', at = now, reason = 'strike overturned', by = 'policy'}), history_keep)
      emit({type = 'user.unbanned', at = now, reason = 'strike overturned', by = 'policy', strikes = count,
            threshold = threshold, comment_id = id})
    end
  end
  return count
end

-- A comment's lasting record (service/store/comments.py): one field of the user's records hash, keyed by 8 bytes
-- of the comment id's SHA-1, packed as
--   text sha (8 bytes) | received (uint32 s) | flags (byte: state, verdict, decision, struck, banned)
--   | decided categories (byte, a bit each) | decisions (uint16) | scores (3 bytes, hundredths)
--   | model version (length byte, +128 when packed from hexadecimal, and its bytes) | reasons (a byte each)
-- The comment's full record (its text, the whole answer, the strike, the undo) is a hash of its own, kept for the
-- review period only. A legacy record (one hash with both, before issue 24) is rewritten the first time it is read.
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

local function unhex(h) return (h:gsub('..', function(c) return string.char(tonumber(c, 16)) end)) end
local function tohex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end

local function record_field(id)
  return unhex(redis.sha1hex(id):sub(1, 16))
end

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
  -- '<category>:<rule|site|model>:<block|review|reject>' -> one byte each (others are kept by the full record only)
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

local function pack_record(r)
  local flags = STATE_CODE[r.state] + VERDICT_CODE[r.verdict] * 4 + DECISION_CODE[r.decision] * 16 + r.struck * 64 + r.banned * 128
  local model, size = r.model, #r.model
  if size > 0 and size <= 254 and size % 2 == 0 and not model:find('[^0-9a-f]') then
    model = unhex(model)
    size = #model + 128
  elseif size > 127 then
    model, size = model:sub(1, 127), 127
  end
  return struct.pack('>c8I4BBH', unhex(r.sha), math.floor(r.created), flags, r.decided, r.decisions) .. r.scores
    .. string.char(size) .. model .. r.reasons
end

local function unpack_record(raw)
  local sha, created, flags, decided, decisions, at = struct.unpack('>c8I4BBH', raw)
  local scores = raw:sub(at, at + 2)
  local size = raw:byte(at + 3)
  local model = raw:sub(at + 4, at + 3 + size % 128)
  if size >= 128 then model = tohex(model) end
  return {
    sha = tohex(sha), created = created, state = STATE_NAME[flags % 4], verdict = VERDICT_NAME[math.floor(flags / 4) % 4],
    decision = DECISION_NAME[math.floor(flags / 16) % 4], struck = math.floor(flags / 64) % 2, banned = math.floor(flags / 128),
    decided = decided, decisions = decisions, scores = scores, model = model, reasons = raw:sub(at + 4 + size % 128),
  }
end

local function score_bytes(scores)
  local out = ''
  for _, c in ipairs(CATEGORY_ORDER) do
    out = out .. string.char(math.max(0, math.min(100, math.floor((tonumber(scores[c]) or 0) * 100 + 0.5))))
  end
  return out
end

local function save_record(records, field, r, now, retention_s)
  redis.call('HSET', records, field, pack_record(r))
  -- the whole hash goes a day after its newest record's term (an inactive user leaves nothing behind)
  redis.call('EXPIRE', records, math.ceil(retention_s + 86400))
end

local function sweep_records(records, now, retention_s)
  -- Drop the records past their term: once a day at most per user, when the oldest one is due.
  local due = tonumber(redis.call('HGET', records, '~') or '0')
  if now < due then return end
  local limit, oldest = now - retention_s, nil
  local all = redis.call('HGETALL', records)
  for i = 1, #all, 2 do
    if all[i] ~= '~' then
      local created = struct.unpack('>I4', all[i + 1], 9)
      if created < limit then
        redis.call('HDEL', records, all[i])
      elseif oldest == nil or created < oldest then
        oldest = created
      end
    end
  end
  redis.call('HSET', records, '~', math.floor((oldest or now) + retention_s + 86400))
end

local LEGACY_ONLY = {'sha', 'state', 'struck', 'decision', 'decided_categories', 'decisions', 'banned', 'user', 'decided_at'}

local function keep_full(full, created, state, now, full_s)
  -- The full record stays while the comment waits for review, and for full_s after it was received.
  if state == 'pending' then
    redis.call('PERSIST', full)
  else
    local left = math.ceil(created + full_s - now)
    if left > 0 then redis.call('EXPIRE', full, left) else redis.call('DEL', full) end
  end
end

local function load_record(records, field, full, now, retention_s, full_s)
  -- Return the comment's lasting record (a table) or nil; a legacy record is rewritten as a lasting and a full one.
  local raw = redis.call('HGET', records, field)
  if raw then
    local r = unpack_record(raw)
    if r.created + retention_s < now then return nil end  -- past its term, not swept yet
    return r
  end
  local legacy = redis.call('HMGET', full, 'sha', 'assessment', 'created', 'state', 'struck', 'decision',
                            'decided_categories', 'decisions', 'banned')
  if not legacy[1] then return nil end
  local assessment = cjson.decode(legacy[2] or '{}')
  local r = {
    sha = legacy[1]:sub(1, 16), created = tonumber(legacy[3] or now), state = legacy[4] or 'approved',
    verdict = assessment.verdict or 'approve', decision = legacy[6] or '', struck = tonumber(legacy[5] or '0'),
    banned = tonumber(legacy[9] or '0'), decided = category_mask(legacy[7]), decisions = tonumber(legacy[8] or '0'),
    scores = score_bytes(assessment.scores or {}), model = assessment.model_version or '',
    reasons = reason_codes(assessment.reasons or {}),
  }
  save_record(records, field, r, now, retention_s)
  redis.call('HDEL', full, unpack(LEGACY_ONLY))
  keep_full(full, r.created, r.state, now, full_s)
  return r
end
