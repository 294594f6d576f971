-- Pauses task ARGV[2] (issue 19, item 5): adds it to `pt` and moves its ready entries from `q` to
-- `pk:<task>` with their scores, in one step. One pass over the ready queue: an admin step, not a
-- hot one. Delayed entries stay in `qd`; a claim parks them when they come due. Replies how many
-- entries moved.
local task = ARGV[2]
redis.call('SADD', P .. 'pt', task)
local q, pk = P .. 'q', P .. 'pk:' .. task
local moved, cursor = 0, '0'
repeat
  local page = redis.call('ZSCAN', q, cursor, 'COUNT', 1000)
  cursor = page[1]
  local items = page[2]
  for j = 1, #items, 2 do
    local id = items[j]
    if redis.call('HGET', P .. 'i:' .. id, 'task') == task then
      redis.call('ZADD', pk, items[j + 1], id)
      redis.call('ZREM', q, id)
      moved = moved + 1
    end
  end
until cursor == '0'
return moved
