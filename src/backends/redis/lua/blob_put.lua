-- Stores blob ARGV[2] once; counts it in the totals the first time.
if redis.call('SET', P .. 'b:' .. ARGV[2], ARGV[3], 'NX') then
  redis.call('HINCRBY', P .. 'bstat', 'count', 1)
  redis.call('HINCRBY', P .. 'bstat', 'bytes', string.len(ARGV[3]))
end
return 0
