-- Put a comment in its site's review queue (once).
-- KEYS[1] queue, KEYS[2] items. ARGV: 1 comment id, 2 priority score, 3 item JSON.
redis.call('ZADD', KEYS[1], 'NX', tonumber(ARGV[2]), ARGV[1])
redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3])
return 1
