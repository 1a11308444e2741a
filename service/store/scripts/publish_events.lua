-- Publish a user's outbox entries to the site's event log, each once, and settle the change under way.
-- KEYS[1] the site's event log (stream), KEYS[2] published (hash: user -> last outbox id published),
-- KEYS[3] pending changes (hash: user -> "<time> <token>"), KEYS[4] the log's floor (newest id trimmed),
-- KEYS[5] the sweeps' cursors.
--! args: user token min_id published_before ...entries
-- entries are pairs: outbox id, event JSON (in outbox order). token: the change's mark in KEYS[3], cleared if it is
-- still this one ('' leaves it). min_id: events older than it are trimmed ('' trims nothing). published_before: a
-- step of the sweep of KEYS[2] drops the users whose last published outbox id is older (their outbox is gone).
-- Returns the last outbox id published for this user ('' when none ever was).
local function older(a, b)
  -- Tell whether stream id a sorts before stream id b ("<ms>-<seq>").
  local ams, aseq = string.match(a, '^(%d+)-(%d+)$')
  local bms, bseq = string.match(b, '^(%d+)-(%d+)$')
  ams, aseq, bms, bseq = tonumber(ams), tonumber(aseq), tonumber(bms), tonumber(bseq)
  return ams < bms or (ams == bms and aseq < bseq)
end

local last = redis.call('HGET', KEYS[2], ARG.user) or ''
local entries = ARG.entries
for i = 1, #entries, 2 do
  local id = entries[i]
  if last == '' or older(last, id) then
    redis.call('XADD', KEYS[1], '*', 'e', entries[i + 1])
    last = id
  end
end
if last ~= '' and redis.call('HSET', KEYS[2], ARG.user, last) == 1 then
  sweep_step(KEYS[2], KEYS[5], 'published', 16, function(value) return older(value, ARG.published_before) end)
end
if ARG.token ~= '' then
  local mark = redis.call('HGET', KEYS[3], ARG.user)
  if mark and string.match(mark, '%S+$') == ARG.token then redis.call('HDEL', KEYS[3], ARG.user) end
end
if ARG.min_id ~= '' then
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  if oldest and older(oldest[1], ARG.min_id) then
    local newest_gone = redis.call('XREVRANGE', KEYS[1], '(' .. ARG.min_id, '-', 'COUNT', 1)[1]
    if newest_gone then redis.call('SET', KEYS[4], newest_gone[1]) end
    redis.call('XTRIM', KEYS[1], 'MINID', ARG.min_id)
  end
end
return last
