-- Stores an event: ARGV[2] id, ARGV[3] at, ARGV[4] the event as JSON. Ordered by time, then id.
redis.call('ZADD', P .. 'ev', ARGV[3], ARGV[2])
redis.call('HSET', P .. 'evd', ARGV[2], ARGV[4])
return 0
