-- New invocations as REGISTERED with their first history entry, all in one step. ARGV[2] now,
-- then per invocation: id, task, args, priority, parent, workflow. An id already stored is left
-- as it is (a resent insert must not reset it).
local now = ARGV[2]
for i = 3, #ARGV, 6 do
  local id, task = ARGV[i], ARGV[i + 1]
  local k = P .. 'i:' .. id
  if redis.call('EXISTS', k) == 0 then
    local fields = { 'id', id, 'task', task, 'args', ARGV[i + 2], 'status', 'REGISTERED', 'attempt', 0,
      'priority', ARGV[i + 3], 'created', now, 'updated', now }
    local parent, wf = dec(ARGV[i + 4]), dec(ARGV[i + 5])
    if parent then fields[#fields + 1] = 'parent'; fields[#fields + 1] = parent end
    if wf then fields[#fields + 1] = 'workflow'; fields[#fields + 1] = wf end
    redis.call('HSET', k, unpack(fields))
    redis.call('RPUSH', P .. 'h:' .. id, hist_entry(now, 'REGISTERED', nil))
    redis.call('ZADD', P .. 'all', now, id)
    redis.call('ZADD', P .. 't:' .. task, now, id)
    redis.call('ZADD', P .. 's:REGISTERED', now, id)
  end
end
return 0
