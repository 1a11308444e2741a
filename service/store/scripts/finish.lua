-- The site's side of a new comment: the review queue when it needs review, and the hourly counts.
-- KEYS[1] queue, KEYS[2] items, KEYS[3] this hour's counts (hash).
--! args: comment_id enqueue priority item verdict categories stats_kept_s
-- enqueue is 0/1; item is the queue item JSON; categories comma-joined.
if ARG.enqueue == '1' then
  redis.call('ZADD', KEYS[1], 'NX', tonumber(ARG.priority), ARG.comment_id)
  redis.call('HSETNX', KEYS[2], ARG.comment_id, ARG.item)
end
redis.call('HINCRBY', KEYS[3], 'verdict:' .. ARG.verdict, 1)
redis.call('HINCRBY', KEYS[3], 'all', 1)
for category in string.gmatch(ARG.categories, '[^,]+') do
  redis.call('HINCRBY', KEYS[3], 'category:' .. category, 1)
end
redis.call('EXPIRE', KEYS[3], tonumber(ARG.stats_kept_s))
return 1
