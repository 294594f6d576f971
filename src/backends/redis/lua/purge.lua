-- Deletes up to ARGV[3] final invocations last changed before ARGV[2], with their history and
-- index entries. Returns how many; the caller repeats while a full batch was deleted.
local before, max = '(' .. ARGV[2], tonumber(ARGV[3])
local n = 0
for s in pairs(FINAL) do
  if n >= max then break end
  local sk = P .. 's:' .. s
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', sk, '-inf', before, 'LIMIT', 0, max - n)) do
    local k = P .. 'i:' .. id
    local f = redis.call('HMGET', k, 'task', 'cckey', 'regkey', 'parent')
    if f[1] then redis.call('ZREM', P .. 't:' .. f[1], id) end
    if f[4] then redis.call('ZREM', P .. 'p:' .. f[4], id) end
    -- Final ones hold no slot and no registration; this keeps the sets exact whatever happened.
    if f[2] then redis.call('SREM', P .. 'run:' .. f[2], id) end
    if f[3] then forget_registration(f[3], id) end
    redis.call('DEL', k, P .. 'h:' .. id, P .. 'log:' .. id, P .. 'p:' .. id)
    redis.call('ZREM', P .. 'all', id)
    redis.call('ZREM', sk, id)
    n = n + 1
  end
end
return n
