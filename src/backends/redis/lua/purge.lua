-- Deletes final invocations in status ARGV[4] last changed before ARGV[2], with their history,
-- logs, extras and index entries: one window of at most ARGV[3] entries of that status's set, from offset
-- ARGV[5]. ARGV[6] is 'all', 'only' or 'except' the task ids ARGV[7..]. An invocation whose parent
-- is not final is skipped (the parent may still read its result), as is one of a task out of scope.
-- Returns { deleted, skipped }: the caller moves its offset on by `skipped` (deleted entries leave
-- the set) and stops when a window was not full.
local before, max, status, offset, mode = '(' .. ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), ARGV[6]
if not FINAL[status] then return { 0, 0 } end
local tasks = {}
for i = 7, #ARGV do tasks[ARGV[i]] = true end
local sk = P .. 's:' .. status
local n, skipped = 0, 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', sk, '-inf', before, 'LIMIT', offset, max)) do
  local k = P .. 'i:' .. id
  local f = redis.call('HMGET', k, 'task', 'cckey', 'regkey', 'parent')
  local keep = (mode == 'only' and not tasks[f[1]]) or (mode == 'except' and tasks[f[1]])
  if not keep and f[4] then
    local ps = redis.call('HGET', P .. 'i:' .. f[4], 'status')
    keep = ps and not FINAL[ps]
  end
  if keep then
    skipped = skipped + 1
  else
    if f[1] then redis.call('ZREM', P .. 't:' .. f[1], id) end
    if f[4] then redis.call('ZREM', P .. 'p:' .. f[4], id) end
    -- Final ones hold no slot and no registration; this keeps the sets exact whatever happened.
    if f[2] then redis.call('SREM', P .. 'run:' .. f[2], id) end
    if f[3] then forget_registration(f[3], id) end
    redis.call('DEL', k, P .. 'h:' .. id, P .. 'log:' .. id, P .. 'p:' .. id, P .. 'x:' .. id)
    redis.call('ZREM', P .. 'all', id)
    redis.call('ZREM', sk, id)
    n = n + 1
  end
end
return { n, skipped }
