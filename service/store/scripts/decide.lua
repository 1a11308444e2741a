-- A moderator's decision on one comment: strike on reject, lift the strike on approve.
-- KEYS[1..5] the user's keys (see _user.lua), KEYS[6] the comment.
-- ARGV: 1 comment id, 2 decision ("approve"|"reject"), 3 categories (comma-joined), 4 now,
--       5 strike weight, 6 strike info JSON, 7 strike ttl, 8 ban steps JSON, 9 history kept, 10 event JSON
-- Returns {status, decision number, previous decision, user state JSON}; status "missing",
-- "same" (nothing changed: a repeated request) or "changed".
local id, decision, categories, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('EXISTS', KEYS[6]) == 0 then return {'missing'} end
purge(now)
local previous = redis.call('HGET', KEYS[6], 'decision') or ''
local number = tonumber(redis.call('HGET', KEYS[6], 'decisions') or '0')
if previous == decision and (redis.call('HGET', KEYS[6], 'decided_categories') or '') == categories then
  return {'same', number, previous, user_state(now)}
end
local struck = redis.call('HGET', KEYS[6], 'struck') == '1'
if decision == 'reject' and not struck then
  add_strike(id, tonumber(ARGV[5]), ARGV[6], now, tonumber(ARGV[7]), cjson.decode(ARGV[8]), tonumber(ARGV[9]))
  redis.call('HSET', KEYS[6], 'struck', 1)
elseif decision == 'approve' and struck then
  remove_strike(id, now, tonumber(ARGV[9]))
  redis.call('HSET', KEYS[6], 'struck', 0)
end
number = number + 1
local state = 'approved'
if decision == 'reject' then state = 'rejected' end
redis.call('HSET', KEYS[6], 'decision', decision, 'decided_categories', categories, 'decisions', number,
           'state', state, 'decided_at', now)
remember(ARGV[10], tonumber(ARGV[9]))
return {'changed', number, previous, user_state(now)}
