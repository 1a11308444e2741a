-- Claim a comment id for one site: the first request wins, the others read the claim. The claim says which user
-- the id belongs to, for as long as its comment's lasting record is kept (idempotent repeats, GET by id).
-- KEYS[1] the meta hash of the id's shard of claims (keys.claims(...) .. ':m'): l<period> -> "<first> <last>"
-- bucket counts of that period's layouts, n<period> -> claims made in that period.
--! args: prefix comment_id user now period_s retention_s per_bucket
-- A claim is one field of a small hash, <prefix>:<period>:<bucket> (the shard's hash tag: the same slot), whose
-- field is 8 bytes of the id's SHA-1 (other bits than the bucket's) and whose value is the user: small hashes keep
-- Redis's compact encoding, so a claim costs its bytes, not a key. Each period (period_s) has its own hashes,
-- which expire together retention_s after the period ends. A period starts with as many buckets as the period before needed for per_bucket claims
-- each, and doubles them whenever it holds that many; a lookup reads every layout of every period still kept.
-- user '' only looks. Returns the claim's user, or false when there is none (looking) or this call made it.
local digest = redis.sha1hex(ARG.comment_id)
local field = (digest:sub(9, 24):gsub('..', function(c) return string.char(tonumber(c, 16)) end))
local hv = tonumber(digest:sub(2, 8), 16)
local now, period_s, retention_s = tonumber(ARG.now), tonumber(ARG.period_s), tonumber(ARG.retention_s)
local current = math.floor(now / period_s)
local oldest = math.floor((now - retention_s) / period_s)
-- the layouts of the periods kept, and the claims made in the one before the current one (no walk of the hash)
local names = {'n' .. (current - 1)}
for period = current, oldest, -1 do names[#names + 1] = 'l' .. period end
local meta = {}
local raw = redis.call('HMGET', KEYS[1], unpack(names))
for i, name in ipairs(names) do
  if raw[i] then meta[name] = raw[i] end
end

local function layout(period)
  local value = meta['l' .. period]
  if not value then return nil end
  local first, last = value:match('^(%d+) (%d+)$')
  return tonumber(first), tonumber(last)
end

local function bucket(period, count)
  return ARG.prefix .. ':' .. period .. ':' .. (hv % count)
end

for period = current, oldest, -1 do
  local first, last = layout(period)
  if first then
    local count = last
    while count >= first do
      local user = redis.call('HGET', bucket(period, count), field)
      if user then return user end
      count = count / 2
    end
  end
end
if ARG.user == '' then return false end

local per_bucket = tonumber(ARG.per_bucket)
local first, last = layout(current)
if not first then
  local before = tonumber(meta['n' .. (current - 1)] or '0')
  first = 1
  while first * per_bucket < before do first = first * 2 end
  last = first
  redis.call('HSET', KEYS[1], 'l' .. current, first .. ' ' .. last)
  -- forget the periods no longer kept (those of a shard idle for longer go with its meta hash)
  redis.call('HDEL', KEYS[1], 'l' .. (oldest - 1), 'n' .. (oldest - 1), 'l' .. (oldest - 2), 'n' .. (oldest - 2))
end
local made = redis.call('HINCRBY', KEYS[1], 'n' .. current, 1)
if made > last * per_bucket then
  last = last * 2
  redis.call('HSET', KEYS[1], 'l' .. current, first .. ' ' .. last)
end
local key = bucket(current, last)
redis.call('HSET', key, field, ARG.user)
-- (relative to the service's clock, which tests set, as every expiry here)
local left = (current + 1) * period_s + retention_s - now
redis.call('EXPIRE', key, math.ceil(left))
redis.call('EXPIRE', KEYS[1], math.ceil(left + period_s))
return false
