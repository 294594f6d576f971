-- Takes up to ARGV[3] ready ids at time ARGV[2]: due delayed ids join the queue first. Keeps the
-- wake-up marker set while ids remain, so the next blocked claimer wakes too. Replies
-- [ids, next delayed time or false].
local c = cached_reply()
if c then return c end
local now, max = ARGV[2], tonumber(ARGV[3])
local q, qd, qm = P .. 'q', P .. 'qd', P .. 'qm'
local due = redis.call('ZRANGEBYSCORE', qd, '-inf', now, 'LIMIT', 0, 1000)
if #due > 0 then
  local seq = redis.call('INCRBY', P .. 'qseq', #due) - #due
  local add = {}
  for j, m in ipairs(due) do
    local bar = string.find(m, '|', 1, true)
    add[#add + 1] = queue_score(tonumber(string.sub(m, 1, bar - 1)), seq + j)
    add[#add + 1] = string.sub(m, bar + 1)
  end
  redis.call('ZADD', q, unpack(add))
  redis.call('ZREM', qd, unpack(due))
end
local popped = redis.call('ZPOPMIN', q, max)
local ids = {}
for j = 1, #popped, 2 do ids[#ids + 1] = popped[j] end
if redis.call('ZCARD', q) > 0 then redis.call('ZADD', qm, 0, 'm') else redis.call('ZREM', qm, 'm') end
local nxt = redis.call('ZRANGE', qd, 0, 0, 'WITHSCORES')[2] or false
if #ids == 0 then return cjson.encode({ {}, nxt }) end
return remember(cjson.encode({ ids, nxt }))
