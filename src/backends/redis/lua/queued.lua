-- Which of the ids ARGV[2..] have a queue entry, ready or delayed ('priority|id', priority 0-9).
-- Replies one 1 or 0 per id.
local q, qd = P .. 'q', P .. 'qd'
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local held = redis.call('ZSCORE', q, id)
  for p = 0, 9 do
    if held then break end
    held = redis.call('ZSCORE', qd, p .. '|' .. id)
  end
  if not held then held = parked(id) end
  out[#out + 1] = held and 1 or 0
end
return out
