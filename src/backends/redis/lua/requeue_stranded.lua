-- Recovery: invocations in a queued status with no queue entry (their writer died between two
-- steps). ARGV[2] status, ARGV[3] before (only those unchanged since), ARGV[4] offset and ARGV[5]
-- count of the page of that status's index to look at, ARGV[6] now. Routes those with neither a
-- ready nor a delayed entry, here, so the check and the route are one step. Replies {routed
-- records (HGETALL pairs), how many were looked at}.
local status, before, offset, count = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local ids = redis.call('ZRANGEBYSCORE', P .. 's:' .. status, '-inf', '(' .. before, 'LIMIT', offset, count)
local q, qd = P .. 'q', P .. 'qd'
local items, out = {}, {}
for _, id in ipairs(ids) do
  local held = redis.call('ZSCORE', q, id)
  -- A delayed entry is 'priority|id'; priority is 0-9 (clamped when routed).
  for p = 0, 9 do
    if held then break end
    held = redis.call('ZSCORE', qd, p .. '|' .. id)
  end
  if not held then held = parked(id) end
  if not held then
    local k = P .. 'i:' .. id
    items[#items + 1] = { id, redis.call('HGET', k, 'priority') or '5', '0' }
    out[#out + 1] = redis.call('HGETALL', k)
  end
end
route_items(tonumber(ARGV[6]), items)
return { out, #ids }
