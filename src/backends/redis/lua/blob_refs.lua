-- Blob ARGV[2] is referred to by invocations ARGV[3..]: a set per blob, a set per invocation, and
-- the set of every referring invocation (purge's sweep).
for i = 3, #ARGV do
  redis.call('SADD', P .. 'br:' .. ARGV[2], ARGV[i])
  redis.call('SADD', P .. 'bi:' .. ARGV[i], ARGV[2])
  redis.call('SADD', P .. 'brefs', ARGV[i])
end
return 0
