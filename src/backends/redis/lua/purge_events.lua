-- Deletes events older than ARGV[2]; returns how many.
local ids = redis.call('ZRANGEBYSCORE', P .. 'ev', '-inf', '(' .. ARGV[2])
for i = 1, #ids, 1000 do
  local part = { unpack(ids, i, math.min(i + 999, #ids)) }
  redis.call('HDEL', P .. 'evd', unpack(part))
  redis.call('ZREM', P .. 'ev', unpack(part))
end
return #ids
