-- Records of ARGV[2..] as HGETALL pairs (empty for unknown ids), in request order.
local out = {}
for i = 2, #ARGV do out[#out + 1] = redis.call('HGETALL', P .. 'i:' .. ARGV[i]) end
return out
