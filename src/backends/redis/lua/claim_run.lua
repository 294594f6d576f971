-- Claims run id ARGV[2] at ARGV[3] once: '1' for the first caller only.
local c = cached_reply()
if c then return c end
if redis.call('HSETNX', P .. 'runs', ARGV[2], ARGV[3]) == 0 then return '0' end
return remember('1')
