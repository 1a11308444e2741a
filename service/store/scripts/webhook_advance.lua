-- Move a webhook endpoint's cursor past an event delivered (or given up on), if no one moved it meanwhile.
-- KEYS[1] the endpoint's state (hash), KEYS[2] its lease (string).
--! args: holder expected cursor
-- Only the process holding the lease moves the cursor, and only from where it read it: a lease lost during a slow
-- delivery cannot make two processes each move it past a different event.
if redis.call('GET', KEYS[2]) ~= ARG.holder then return 0 end
if (redis.call('HGET', KEYS[1], 'cursor') or '') ~= ARG.expected then return 0 end
redis.call('HSET', KEYS[1], 'cursor', ARG.cursor, 'attempts', 0, 'next_at', 0, 'failing_since', 0)
return 1
