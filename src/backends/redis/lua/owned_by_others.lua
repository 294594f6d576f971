-- Recovery: invocations in the statuses ARGV[3..] owned by a runner not among the live ones
-- (ARGV[2]: live runner ids as a JSON array).
local live = {}
for _, r in ipairs(cjson.decode(ARGV[2])) do live[r] = true end
local out = {}
for i = 3, #ARGV do
  for _, id in ipairs(redis.call('ZRANGE', P .. 's:' .. ARGV[i], 0, -1)) do
    local k = P .. 'i:' .. id
    local owner = redis.call('HGET', k, 'owner')
    if owner and not live[owner] then out[#out + 1] = redis.call('HGETALL', k) end
  end
end
return out
