-- Shared by the scripts that change one (site, user). Prepended to each of them.
-- KEYS[1] strikes (zset: comment id -> expiry), KEYS[2] strike info (hash),
-- KEYS[3] ban (hash), KEYS[4] history (list), KEYS[5] recent comments (list),
-- KEYS[6] outbox (stream: events of this user's changes for the site's event log, service/events.py).
-- Times are seconds since the epoch passed in by the service (injectable), never Redis TIME.

local OUTBOX_KEPT_S = 30 * 86400  -- the relay publishes an outbox within seconds; an idle one goes after this

local function emit(event)
  -- An event the site must learn of, written in the same step as the change it tells of.
  redis.call('XADD', KEYS[6], '*', 'e', cjson.encode(event))
  redis.call('EXPIRE', KEYS[6], OUTBOX_KEPT_S)
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
  -- both go a day after the last strike ends (an inactive user's expired strikes leave nothing behind)
  for _, key in ipairs({KEYS[1], KEYS[2]}) do
    if redis.call('TTL', key) < ttl + 86400 then redis.call('EXPIRE', key, math.ceil(ttl + 86400)) end
  end
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
