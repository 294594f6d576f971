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
-- Every task's invocations newest first (no index holds them all: see index_new in lib.lua): the
-- t:<task> sets of the names in `tasks`, and `all` (invocations stored before), merged a page at a
-- time in ZREVRANGEBYSCORE's order (score, then member, descending), each id once. Returns the
-- next id, or nil.
local function newest_of_all()
  local PAGE = 200
  local srcs = { { key = P .. 'all' } }
  for _, t in ipairs(redis.call('SMEMBERS', P .. 'tasks')) do srcs[#srcs + 1] = { key = P .. 't:' .. t } end
  for _, src in ipairs(srcs) do src.page, src.pos, src.read = {}, 1, 0 end
  local function head(src)
    if src.pos > #src.page then
      if src.done then return nil end
      src.page = redis.call('ZREVRANGEBYSCORE', src.key, max, min, 'WITHSCORES', 'LIMIT', src.read, PAGE)
      src.pos, src.read = 1, src.read + #src.page / 2
      if #src.page < 2 * PAGE then src.done = true end
      if #src.page == 0 then return nil end
    end
    return src.page[src.pos], tonumber(src.page[src.pos + 1])
  end
  local seen = {}
  return function()
    while true do
      local best, best_id, best_score = nil, nil, nil
      for _, src in ipairs(srcs) do
        local id, score = head(src)
        if id and (not best or score > best_score or (score == best_score and id > best_id)) then
          best, best_id, best_score = src, id, score
        end
      end
      if not best then return nil end
      best.pos = best.pos + 2
      if not seen[best_id] then
        seen[best_id] = true
        return best_id
      end
    end
  end
end

local cands = {}
local next_cand = nil
if want_status then
  for s in pairs(statuses) do
    for _, id in ipairs(redis.call('ZRANGE', P .. 's:' .. s, 0, -1)) do cands[#cands + 1] = id end
  end
elseif parent then
  cands = redis.call('ZREVRANGEBYSCORE', P .. 'p:' .. parent, max, min)
elseif task then
  cands = redis.call('ZREVRANGEBYSCORE', P .. 't:' .. task, max, min)
else
  next_cand = newest_of_all()
end
if not next_cand then
  local j = 0
  next_cand = function()
    j = j + 1
    return cands[j]
  end
end
local rows = {}
local wanted = limit and (limit + offset) or nil
for id in next_cand do
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
