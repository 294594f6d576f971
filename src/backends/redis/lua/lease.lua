-- A singleton lease: ARGV[2] name, ARGV[3] holder, ARGV[4] now, ARGV[5] expires at. Granted when
-- free, expired, or already held by the same holder. Stored as 'expires|holder'.
local k = P .. 'leases'
local cur = redis.call('HGET', k, ARGV[2])
if cur then
  local bar = string.find(cur, '|', 1, true)
  local exp, holder = tonumber(string.sub(cur, 1, bar - 1)), string.sub(cur, bar + 1)
  if holder ~= ARGV[3] and exp > tonumber(ARGV[4]) then return 0 end
end
redis.call('HSET', k, ARGV[2], ARGV[5] .. '|' .. ARGV[3])
return 1
