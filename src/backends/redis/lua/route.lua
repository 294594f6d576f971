-- Enqueue: ARGV[2] now, then per item: id, priority (0-9), not-before (0: ready now). Ready ids
-- go to the queue scored by priority then order; delayed ones wait in `qd` by time as
-- 'priority|id'. The wake-up marker tells blocked claimers to look.
local now = tonumber(ARGV[2])
local n = (#ARGV - 2) / 3
local seq = redis.call('INCRBY', P .. 'qseq', n) - n
local ready, delayed = {}, {}
for i = 3, #ARGV, 3 do
  local id, prio, nb = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  seq = seq + 1
  if tonumber(nb) > now then
    delayed[#delayed + 1] = nb; delayed[#delayed + 1] = prio .. '|' .. id
  else
    ready[#ready + 1] = queue_score(prio, seq); ready[#ready + 1] = id
  end
end
if #ready > 0 then redis.call('ZADD', P .. 'q', unpack(ready)) end
if #delayed > 0 then redis.call('ZADD', P .. 'qd', unpack(delayed)) end
redis.call('ZADD', P .. 'qm', 0, 'm')
return 0
