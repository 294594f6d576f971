-- Sets trigger ARGV[2]'s last fire to ARGV[4] only if it is still ARGV[3] ('-': never fired).
local c = cached_reply()
if c then return c end
local k = P .. 'lastfire'
local cur = redis.call('HGET', k, ARGV[2])
local expected = dec(ARGV[3])
if (expected == nil and cur) or (expected ~= nil and cur ~= expected) then return '0' end
redis.call('HSET', k, ARGV[2], ARGV[4])
return remember('1')
