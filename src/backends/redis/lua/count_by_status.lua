-- [status, count, ...] for every status with at least one invocation.
local out = {}
for _, s in ipairs(STATUSES) do
  local n = redis.call('ZCARD', P .. 's:' .. s)
  if n > 0 then out[#out + 1] = s; out[#out + 1] = n end
end
return out
