-- Deletes the blobs ARGV[2..] and takes them out of the totals; replies how many existed.
local c = cached_reply()
if c then return c end
local n, bytes = 0, 0
for i = 2, #ARGV do
  local k = P .. 'b:' .. ARGV[i]
  local len = redis.call('STRLEN', k)
  if redis.call('DEL', k) == 1 then n = n + 1; bytes = bytes + len end
end
if n > 0 then
  redis.call('HINCRBY', P .. 'bstat', 'count', -n)
  redis.call('HINCRBY', P .. 'bstat', 'bytes', -bytes)
end
return remember(tostring(n))
