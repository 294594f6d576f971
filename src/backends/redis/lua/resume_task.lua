-- Resumes task ARGV[2] (issue 19, item 5): removes it from `pt` and moves its parked entries back to
-- `q` with their scores (their place in the queue), in one step; sets the wake-up marker so blocked
-- claimers wake. Replies how many entries moved.
local task = ARGV[2]
redis.call('SREM', P .. 'pt', task)
local pk = P .. 'pk:' .. task
local moved = 0
repeat
  local page = redis.call('ZRANGE', pk, 0, 999, 'WITHSCORES')
  if #page == 0 then break end
  local add, rem = {}, {}
  for j = 1, #page, 2 do
    add[#add + 1] = page[j + 1]; add[#add + 1] = page[j]
    rem[#rem + 1] = page[j]
  end
  redis.call('ZADD', P .. 'q', unpack(add))
  redis.call('ZREM', pk, unpack(rem))
  moved = moved + #rem
until false
if moved > 0 then redis.call('ZADD', P .. 'qm', 0, 'm') end
return moved
