-- Invocations matching a filter, newest first. ARGV[2] task, ARGV[3] owner, ARGV[4] created after,
-- ARGV[5] limit, ARGV[6] parent, ARGV[7] created before, ARGV[8] offset (optional values encoded by
-- dec()), ARGV[9..] statuses. Reads the narrowest index.
local task, owner, after, limit = dec(ARGV[2]), dec(ARGV[3]), dec(ARGV[4]), dec(ARGV[5])
local parent, before, offset = dec(ARGV[6]), dec(ARGV[7]), dec(ARGV[8])
limit = limit and tonumber(limit) or nil
offset = offset and tonumber(offset) or 0
local min = after or '-inf'
local max = before and ('(' .. before) or '+inf'
local statuses = {}
for i = 9, #ARGV do statuses[ARGV[i]] = true end
local want_status = #ARGV >= 9
local cands = {}
if want_status then
  for s in pairs(statuses) do
    for _, id in ipairs(redis.call('ZRANGE', P .. 's:' .. s, 0, -1)) do cands[#cands + 1] = id end
  end
elseif parent then
  cands = redis.call('ZREVRANGEBYSCORE', P .. 'p:' .. parent, max, min)
elseif task then
  cands = redis.call('ZREVRANGEBYSCORE', P .. 't:' .. task, max, min)
else
  cands = redis.call('ZREVRANGEBYSCORE', P .. 'all', max, min)
end
local rows = {}
local wanted = limit and (limit + offset) or nil
for _, id in ipairs(cands) do
  local f = redis.call('HMGET', P .. 'i:' .. id, 'task', 'owner', 'created', 'status', 'parent')
  local ok = f[1] ~= false
  if ok and task and f[1] ~= task then ok = false end
  if ok and owner and (f[2] ~= owner or not OWNED[f[4]]) then ok = false end -- an owner counts only in an owned status
  if ok and after and tonumber(f[3]) < tonumber(after) then ok = false end
  if ok and before and tonumber(f[3]) >= tonumber(before) then ok = false end
  if ok and parent and f[5] ~= parent then ok = false end
  if ok and want_status and not statuses[f[4]] then ok = false end
  if ok then rows[#rows + 1] = { id, tonumber(f[3]) } end
  -- Index reads come newest first already: stop once offset + limit rows are in.
  if not want_status and wanted and #rows >= wanted then break end
end
if want_status then
  table.sort(rows, function(a, b) if a[2] ~= b[2] then return a[2] > b[2] end return a[1] > b[1] end)
end
local out = {}
for i, r in ipairs(rows) do
  if i > offset then
    if limit and #out >= limit then break end
    out[#out + 1] = redis.call('HGETALL', P .. 'i:' .. r[1])
  end
end
return out
