-- Drops the references of invocations ARGV[2..]; deletes blobs left without any (and takes them
-- out of the totals). Replies how many blobs were deleted. Running it twice is harmless.
local n, bytes = 0, 0
for i = 2, #ARGV do
  local inv = ARGV[i]
  local keys = redis.call('SMEMBERS', P .. 'bi:' .. inv)
  for _, k in ipairs(keys) do
    local refs = P .. 'br:' .. k
    redis.call('SREM', refs, inv)
    if redis.call('SCARD', refs) == 0 then
      local b = P .. 'b:' .. k
      local len = redis.call('STRLEN', b)
      if redis.call('DEL', b) == 1 then n = n + 1; bytes = bytes + len end
    end
  end
  redis.call('DEL', P .. 'bi:' .. inv)
  redis.call('SREM', P .. 'brefs', inv)
end
if n > 0 then
  redis.call('HINCRBY', P .. 'bstat', 'count', -n)
  redis.call('HINCRBY', P .. 'bstat', 'bytes', -bytes)
end
return n
