-- Shared by the scripts that keep a site's growing hashes bounded (labels, decision numbers, the event log's
-- high-water marks). Prepended to each of them.

local function sweep_step(hash, cursors, name, count, is_old)
  -- Look at about ``count`` more fields of ``hash`` (from where the last step stopped: ``cursors``[name]) and drop
  -- those ``is_old(value)`` says are past their term. Called each time a field is added, so the sweep goes round
  -- the hash about ``count`` times faster than it grows (and a request that adds nothing walks nothing).
  local cursor = redis.call('HGET', cursors, name) or '0'
  local page = redis.call('HSCAN', hash, cursor, 'COUNT', count)
  local fields = page[2]
  for i = 1, #fields, 2 do
    if is_old(fields[i + 1]) then redis.call('HDEL', hash, fields[i]) end
  end
  redis.call('HSET', cursors, name, page[1])
end

local function recorded_before(before)
  -- A decision or action number recorded (``<number> <time>``; a bare number: before issue 24) before ``before``.
  return function(value)
    local at = tonumber(string.match(value, '^%d+ ([%d.]+)$') or '0')
    return at < before
  end
end
