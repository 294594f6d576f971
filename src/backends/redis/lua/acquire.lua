-- Claim step after the broker: ARGV[2] now, ARGV[3] runner id, then invocation ids. Those still
-- waiting in the queue (ACQUIRABLE) move to PENDING owned by the runner; the rest are skipped.
local c = cached_reply()
if c then return c end
local now, runner = ARGV[2], ARGV[3]
local out = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local st = redis.call('HGET', P .. 'i:' .. id, 'status')
  if st and ACQUIRABLE[st] then
    local rec = apply(id, 'PENDING', runner, nil, nil, now)
    if rec then out[#out + 1] = rec end
  end
end
if #out == 0 then return '[]' end
return remember(cjson.encode(out))
