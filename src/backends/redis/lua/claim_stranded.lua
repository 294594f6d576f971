-- Recovery through a broker on another server: ARGV[2] before, ARGV[3] now, then ids. Those still
-- in a queued status and unchanged since `before` are marked changed at `now` (no status change,
-- no history) and returned (HGETALL pairs): two passes never both requeue one.
local before, now = tonumber(ARGV[2]), ARGV[3]
local out = {}
for i = 4, #ARGV do
  local k = P .. 'i:' .. ARGV[i]
  local f = redis.call('HMGET', k, 'status', 'updated')
  if f[1] and QUEUED[f[1]] and tonumber(f[2]) < before then
    redis.call('HSET', k, 'updated', now)
    redis.call('ZADD', P .. 's:' .. f[1], now, ARGV[i])
    out[#out + 1] = redis.call('HGETALL', k)
  end
end
return out
