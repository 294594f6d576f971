-- Workflow state: ARGV[2] workflow id, ARGV[3] key, ARGV[4] value, ARGV[5] '1' to keep an existing
-- value (set-if-absent). Replies the stored value; indexes the workflow for wfIds.
local h = P .. 'wf:' .. ARGV[2]
if ARGV[5] == '1' then
  redis.call('HSETNX', h, ARGV[3], ARGV[4])
else
  redis.call('HSET', h, ARGV[3], ARGV[4])
end
redis.call('SADD', P .. 'wfs', ARGV[2])
return redis.call('HGET', h, ARGV[3])
