-- Lease up to N pending items of a site to one moderator, highest priority first.
-- An item is free when it has no lease or its lease has expired: expired leases
-- return to the queue by themselves. Items already leased to the same moderator
-- are returned again (a reload does not lose them).
-- KEYS[1] queue, KEYS[2] items, KEYS[3] leases, KEYS[4] lease owners.
--! args: now lease_s moderator limit
-- Returns a flat list: id, item JSON, id, item JSON, ...
local now, lease, moderator, limit = tonumber(ARG.now), tonumber(ARG.lease_s), ARG.moderator, tonumber(ARG.limit)
local out, taken, offset, page = {}, 0, 0, 200
while taken < limit do
  local ids = redis.call('ZRANGE', KEYS[1], offset, offset + page - 1)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local expires = tonumber(redis.call('ZSCORE', KEYS[3], id) or '0')
    local owner = redis.call('HGET', KEYS[4], id)
    if expires <= now or owner == moderator then
      redis.call('ZADD', KEYS[3], now + lease, id)
      redis.call('HSET', KEYS[4], id, moderator)
      out[#out + 1] = id
      out[#out + 1] = redis.call('HGET', KEYS[2], id) or '{}'
      taken = taken + 1
      if taken >= limit then break end
    end
  end
  offset = offset + page
end
return out
