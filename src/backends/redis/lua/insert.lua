-- New invocations as REGISTERED with their first history entry, all in one step. ARGV[2] now,
-- then per invocation: id, task, args, priority, parent, workflow, registration key, concurrency
-- key, concurrency JSON (the last five optional, encoded by dec()). An id already stored is left
-- as it is (a resent insert must not reset it). One whose registration key still names a
-- REGISTERED invocation is not stored: that id is used instead (reg:<key> -> id, dropped by
-- apply when the invocation leaves REGISTERED). Replies the JSON list of ids used.
local c = cached_reply()
if c then return c end
local now = ARGV[2]
local used = {}
for i = 3, #ARGV, 9 do
  local id, task = ARGV[i], ARGV[i + 1]
  local k = P .. 'i:' .. id
  local regkey = dec(ARGV[i + 6])
  local reuse = nil
  if regkey and redis.call('EXISTS', k) == 0 then
    local prev = redis.call('GET', P .. 'reg:' .. regkey)
    if prev and redis.call('HGET', P .. 'i:' .. prev, 'status') == 'REGISTERED' then reuse = prev end
  end
  if reuse then
    used[#used + 1] = reuse
  else
    used[#used + 1] = id
    if redis.call('EXISTS', k) == 0 then
      local fields = { 'id', id, 'task', task, 'args', ARGV[i + 2], 'status', 'REGISTERED', 'attempt', 0,
        'priority', ARGV[i + 3], 'created', now, 'updated', now }
      local parent, wf, cckey, cc = dec(ARGV[i + 4]), dec(ARGV[i + 5]), dec(ARGV[i + 7]), dec(ARGV[i + 8])
      if parent then fields[#fields + 1] = 'parent'; fields[#fields + 1] = parent end
      if wf then fields[#fields + 1] = 'workflow'; fields[#fields + 1] = wf end
      if regkey then
        fields[#fields + 1] = 'regkey'; fields[#fields + 1] = regkey
        redis.call('SET', P .. 'reg:' .. regkey, id)
      end
      if cc then
        fields[#fields + 1] = 'cc'; fields[#fields + 1] = cc
        fields[#fields + 1] = 'cckey'; fields[#fields + 1] = cckey
      end
      redis.call('HSET', k, unpack(fields))
      redis.call('RPUSH', P .. 'h:' .. id, hist_entry(now, 'REGISTERED', nil))
      redis.call('ZADD', P .. 'all', now, id)
      redis.call('ZADD', P .. 't:' .. task, now, id)
      redis.call('ZADD', P .. 's:REGISTERED', now, id)
    end
  end
end
return remember(cjson.encode(used))
