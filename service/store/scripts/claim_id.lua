-- Claim a comment id for one site: the first request wins, the others read the claim. The claim says which user
-- the id belongs to, for as long as its comment's lasting record is kept (idempotent repeats, GET by id).
-- KEYS[1] the meta hash of the id's shard of claims (keys.claims(...) .. ':m'): L -> the layouts of the periods
-- kept, "<period>:<first>:<last> ..." (bucket counts), n<period> -> claims made in that period.
--! args: prefix field bucket user now period_s retention_s per_bucket
-- field is 8 bytes of the id's SHA-1 and bucket a number from other bits of it (service/store/comments.py). A claim
-- is one field of a small hash, <prefix>:<period>:<bucket % count> (the shard's hash tag: the same slot), whose
-- value is the user: small hashes keep Redis's compact encoding, so a claim costs its bytes, not a key. Each period
-- (period_s) has its own hashes, which expire together retention_s after the period ends. A period starts with as
-- many buckets as the period before needed for per_bucket claims each, and doubles them whenever it holds that
-- many; a lookup reads every layout of every period still kept.
-- user '' only looks. Returns the claim's user, or false when there is none (looking) or this call made it.
local now, period_s, retention_s = tonumber(ARG.now), tonumber(ARG.period_s), tonumber(ARG.retention_s)
local hv, field = tonumber(ARG.bucket), ARG.field
local current = math.floor(now / period_s)
local oldest = math.floor((now - retention_s) / period_s)
local layouts = redis.call('HGET', KEYS[1], 'L') or ''
local first, last = nil, nil
local kept = {}
for period, from, to in string.gmatch(layouts, '(%d+):(%d+):(%d+)') do
  period, from, to = tonumber(period), tonumber(from), tonumber(to)
  if period >= oldest then
    local count = to
    while count >= from do
      local user = redis.call('HGET', ARG.prefix .. ':' .. period .. ':' .. (hv % count), field)
      if user then return user end
      count = count / 2
    end
    if period == current then
      first, last = from, to
    else
      kept[#kept + 1] = period .. ':' .. from .. ':' .. to
    end
  end
end
if ARG.user == '' then return false end

local per_bucket = tonumber(ARG.per_bucket)
local changed = false
if not first then
  local before = tonumber(redis.call('HGET', KEYS[1], 'n' .. (current - 1)) or '0')
  first = 1
  while first * per_bucket < before do first = first * 2 end
  last, changed = first, true
  redis.call('HDEL', KEYS[1], 'n' .. (current - 2))  -- the count only sizes the next period
end
if redis.call('HINCRBY', KEYS[1], 'n' .. current, 1) > last * per_bucket then
  last, changed = last * 2, true
end
-- (expiries relative to the service's clock, which tests set, as every one here)
local left = (current + 1) * period_s + retention_s - now
if changed then
  kept[#kept + 1] = current .. ':' .. first .. ':' .. last
  redis.call('HSET', KEYS[1], 'L', table.concat(kept, ' '))
  if redis.call('TTL', KEYS[1]) < left + period_s then redis.call('EXPIRE', KEYS[1], math.ceil(left + period_s)) end
end
local key = ARG.prefix .. ':' .. current .. ':' .. (hv % last)
redis.call('HSET', key, field, ARG.user)
redis.call('EXPIRE', key, math.ceil(left))
return false
