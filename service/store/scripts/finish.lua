-- The site's side of a new comment: the review queue when it needs review, and the hourly counts.
-- KEYS[1] queue, KEYS[2] items, KEYS[3] this hour's counts (hash).
-- ARGV: 1 comment id, 2 enqueue (0/1), 3 priority, 4 item JSON, 5 verdict, 6 categories (comma-joined),
--       7 seconds the counts are kept.
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[1], 'NX', tonumber(ARGV[3]), ARGV[1])
  redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[4])
end
redis.call('HINCRBY', KEYS[3], 'verdict:' .. ARGV[5], 1)
redis.call('HINCRBY', KEYS[3], 'all', 1)
for category in string.gmatch(ARGV[6], '[^,]+') do
  redis.call('HINCRBY', KEYS[3], 'category:' .. category, 1)
end
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[7]))
return 1
