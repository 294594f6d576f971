-- Shared by every script. Loaded after the status tables generated from src/core/status.ts
-- (TRANSITIONS, OWNED, RECOVERY, FINAL, ACQUIRABLE, ACTIVE, STATUSES), before the script's own body.
-- Conventions: KEYS[1] is the op key (the reply cache of scripts that must not run twice; a
-- placeholder in the app's slot for the others), ARGV[1] is the key prefix.
local P = ARGV[1]
local OP_TTL_MS = 60000
local TO_PENDING, TO_RUNNING = { 'PENDING' }, { 'PENDING', 'RUNNING' }
-- What apply_path reads of a record when it replies no whole record (read_cur): what every
-- change needs. The others (attempt, updated, regkey) only some: read then (lazy_field).
local CUR_FIELDS = { 'status', 'owner', 'cckey' }

-- Optional values cross as '=' .. value, or '-' for none.
local function dec(v)
  if string.sub(v, 1, 1) == '=' then return string.sub(v, 2) end
  return nil
end

-- A script resent after a lost reply (a dropped connection) returns its first reply instead of
-- running again: claims, acquires and status changes happen once.
local function cached_reply()
  return redis.call('GET', KEYS[1])
end
local function remember(reply)
  redis.call('SET', KEYS[1], reply, 'PX', OP_TTL_MS)
  return reply
end

-- History entries: 'at|STATUS' or 'at|STATUS|runnerId' (the runner id last: it may hold '|').
local function hist_entry(now, to, runner)
  if runner then return now .. '|' .. to .. '|' .. runner end
  return now .. '|' .. to
end
-- The list h:<id> leaves out three kinds of entry its record already says (an RPUSH each, and for
-- a plain run the list's key itself: about a tenth of an invocation's server CPU each), and
-- history.lua puts them back (full_history):
-- - the first, REGISTERED at `created` with no runner (every invocation is stored REGISTERED);
-- - a claim from REGISTERED (PENDING then RUNNING in one step, always the first change): the
--   field `claimed` holds its time and runner, `<now>|<runner>` (when that fits in 64 bytes);
-- - the last, when the record is final and a one-step change by its owner (or, with no owner, by
--   no runner) made it so: `updated`, `status`, `owner` are that entry (a final record changes
--   no more, and leaving an owned status keeps the owner field).
-- Lists written before hold them: a list that starts with REGISTERED or ends with the record's
-- final status is complete at that end.
local function implied_final(to, steps, runner, prev_owner)
  return steps == 1 and FINAL[to] and runner == prev_owner
end
local function entry_status(e)
  local a = string.find(e, '|', 1, true)
  local b = string.find(e, '|', a + 1, true)
  return string.sub(e, a + 1, (b or 0) - 1)
end
-- An invocation's whole history: the stored entries and the implied ones (see implied_final).
local function full_history(id)
  local stored = redis.call('LRANGE', P .. 'h:' .. id, 0, -1)
  local f = redis.call('HMGET', P .. 'i:' .. id, 'created', 'status', 'updated', 'owner', 'claimed')
  if not f[2] then return stored end
  local out, rest = {}, 1
  if #stored > 0 and entry_status(stored[1]) == 'REGISTERED' then
    out[1] = stored[1]; rest = 2
  else
    out[1] = hist_entry(f[1], 'REGISTERED', nil)
  end
  if f[5] then
    local bar = string.find(f[5], '|', 1, true)
    local at, by = string.sub(f[5], 1, bar - 1), string.sub(f[5], bar + 1)
    out[#out + 1] = hist_entry(at, 'PENDING', by)
    out[#out + 1] = hist_entry(at, 'RUNNING', by)
  end
  for j = rest, #stored do out[#out + 1] = stored[j] end
  if FINAL[f[2]] and entry_status(out[#out]) ~= f[2] then
    out[#out + 1] = hist_entry(f[3], f[2], f[4] or nil)
  end
  return out
end

-- The `final` message: the JSON list of ids that became final, then, when some are known, one
-- more element: the list of their records as rows (JSON texts from `rows`, see finals.ts). A
-- process of an older version reads every element as an id and matches none of the last one.
-- A waiter handed its record does not read it again (HGET + HGETALL, ~45,000 instructions). Each
-- Lua string costs ~10 instructions per byte (Redis hashes every byte to intern it): the rows are
-- joined into the message by one table.concat, with no string made on the way.
-- Rows past FINAL_ROWS_MAX bytes in one message stay out too: every subscriber gets every
-- message, and a pubsub client's output buffer over its limit is disconnected.
local FINAL_ROWS_MAX = 65536
local function publish_finals(ids, rows)
  if #ids == 0 then return end
  local msg = cjson.encode(ids)
  if rows and #rows > 0 and #rows[1] <= FINAL_ROWS_MAX then
    local parts, size = { string.sub(msg, 1, -2), ',[', rows[1] }, #rows[1]
    for j = 2, #rows do
      size = size + #rows[j]
      if size > FINAL_ROWS_MAX then break end
      parts[#parts + 1] = ','; parts[#parts + 1] = rows[j]
    end
    parts[#parts + 1] = ']]'
    msg = table.concat(parts)
  end
  redis.call('PUBLISH', P .. 'final', msg)
end
-- A final record (a row) for the `final` message, or nil when it is too long to carry.
local function final_row(row)
  local j = cjson.encode(row)
  if #j <= FINAL_ROW_MAX then return j end
  return nil
end

local function forget_registration(regkey, id)
  local rk = P .. 'reg:' .. regkey
  if redis.call('GET', rk) == id then redis.call('DEL', rk) end
end

-- Status indexes (s:<STATUS>, sorted by the time an invocation entered the status). A script that
-- changes many invocations calls batch_index() first and flush_index() before it returns: each
-- invocation's net move (first status left -> last status entered) is then written as one ZREM per
-- status left and one ZADD per status entered for the whole script, not two commands per change.
-- Without batch_index() every move is written at once.
local MOVES, ZADDS, TASKS = nil, nil, nil
local function batch_index()
  MOVES, ZADDS, TASKS = {}, {}, {}
end
-- `from`: the status left (nil for a new invocation), `to`: the status entered at `now`.
local function index_move(id, from, to, now)
  if not MOVES then
    if from then redis.call('ZREM', P .. 's:' .. from, id) end
    redis.call('ZADD', P .. 's:' .. to, now, id)
    return
  end
  local m = MOVES[id]
  if m then m.to = to; m.at = now else MOVES[id] = { from = from, to = to, at = now } end
end
-- A ZADD to any other index (t:<task>), batched the same way.
local function index_add(key, now, id)
  if not ZADDS then return redis.call('ZADD', key, now, id) end
  local a = ZADDS[key]
  if not a then a = {}; ZADDS[key] = a end
  a[#a + 1] = now; a[#a + 1] = id
end
-- A new invocation of `task` by creation time: in t:<task>, and the task's name in the set `tasks`
-- (one SADD per name and script). A list of every task's invocations merges the t:<task> sets
-- (list.lua): an index of all invocations as well would be one more sorted-set entry (~145 bytes,
-- ~2 % of the server's instructions) for the one listing without a filter. `all` holds the invocations
-- stored before this version, and list.lua still reads it.
local function index_new(task, now, id)
  index_add(P .. 't:' .. task, now, id)
  if TASKS then TASKS[task] = true else redis.call('SADD', P .. 'tasks', task) end
end
-- One command per slice of `args` (a Lua unpack is bounded by the C stack: a few thousand values);
-- slices of 1000, an even number, keep score/member pairs together.
local function call_sliced(cmd, key, args)
  for j = 1, #args, 1000 do
    redis.call(cmd, key, unpack(args, j, math.min(#args, j + 1000 - 1)))
  end
end
local function flush_index()
  if not MOVES then return end
  local rem, add = {}, {}
  for id, m in pairs(MOVES) do
    if m.from then
      local r = rem[m.from]
      if not r then r = {}; rem[m.from] = r end
      r[#r + 1] = id
    end
    local a = add[m.to]
    if not a then a = {}; add[m.to] = a end
    a[#a + 1] = m.at; a[#a + 1] = id
  end
  -- Removals first: an invocation that left and re-entered one status is added back.
  for s, ids in pairs(rem) do call_sliced('ZREM', P .. 's:' .. s, ids) end
  for s, a in pairs(add) do call_sliced('ZADD', P .. 's:' .. s, a) end
  for k, a in pairs(ZADDS) do call_sliced('ZADD', k, a) end
  local names = {}
  for t in pairs(TASKS) do names[#names + 1] = t end
  if #names > 0 then call_sliced('SADD', P .. 'tasks', names) end
  MOVES, ZADDS, TASKS = nil, nil, nil
end

-- A record this script changed crosses as a row: the values of RECORD_FIELDS (generated from
-- codec.ts) in that order, false for a missing one (no field names to encode; bookkeeping fields
-- such as cckey stay in). A record only read crosses as its HGETALL pairs (no Lua table to build).

-- An invocation hash as a Lua table (HGETALL: one pass over the hash, cheaper than an HMGET of
-- many fields), or nil when it does not exist.
local function read_record(k)
  local raw = redis.call('HGETALL', k)
  if #raw == 0 then return nil end
  local h = {}
  for j = 1, #raw, 2 do h[raw[j]] = raw[j + 1] end
  return h
end
-- A record table -> row.
local function record_row(h)
  local out = {}
  for j, f in ipairs(RECORD_FIELDS) do out[j] = h[f] or false end
  return out
end
-- Small counts as strings (Lua formats a number with a sprintf).
local function num(n)
  return NUMS[n] or tostring(n)
end
-- Only what apply_path needs to validate and write (HMGET: cheaper when no record is replied;
-- each value read costs ~2,000 instructions more).
local function read_cur(k)
  local f = redis.call('HMGET', k, unpack(CUR_FIELDS))
  if not f[1] then return nil end
  return { status = f[1], owner = f[2] or nil, cckey = f[3] or nil, lazy = k }
end
-- A field of a record read by read_cur that it left out, read now.
local function lazy_field(h, name)
  if h.lazy and h[name] == nil then h[name] = redis.call('HGET', h.lazy, name) or nil end
  return h[name]
end

-- Validated status changes along `path` (one or more statuses in turn), each by the same rules as
-- checkTransition in src/core/status.ts, written as one record update: the hot path's PENDING then
-- RUNNING costs one read and one write. `h`: the record as read_record or read_cur read it, if the
-- caller read it already (read_record's when `full`). Returns the new record (a row; with
-- `full` false only {owner or '', attempt or false when unchanged, updated}: the caller has the
-- rest), or nil and an error tuple
-- (nothing written) if a step is not legal.
local function apply_path(id, path, runner, result, err, now, h, full)
  local k = P .. 'i:' .. id
  if full == nil then full = true end
  if not h then
    if full then h = read_record(k) else h = read_cur(k) end
  end
  if not h then return nil, { 'notfound' } end
  local first, prev_owner = h.status, h.owner
  local from, owner = first, h.owner
  local function reply()
    if full then return record_row(h) end
    return { h.owner or '', h.attempt or false, h.updated }
  end
  -- A repeated PAUSED/RESUMED by the owner (isRepeat in status.ts): nothing to write.
  if #path == 1 and REPEATABLE[path[1]] and from == path[1] and owner == runner then
    lazy_field(h, 'updated')
    lazy_field(h, 'attempt')
    return reply()
  end
  local steps, running = 0, false
  for _, to in ipairs(path) do
    local allowed = TRANSITIONS[from]
    if not allowed or not allowed[to] then return nil, { 'illegal', from } end
    if OWNED[from] and not RECOVERY[to] and owner ~= runner then
      if owner then return nil, { 'owner', from, '=' .. owner } end
      return nil, { 'owner', from, '-' }
    end
    local new_owner = nil
    if OWNED[to] then
      if OWNED[from] then new_owner = owner else new_owner = runner end
    end
    owner = new_owner
    steps = steps + 1
    if to == 'RUNNING' then running = true end
    from = to
  end
  local to = from
  local fields = { 'status', to, 'updated', now }
  -- An owner counts only in an owned status: leaving one, the field stays (no HDEL: ~9,000
  -- instructions per finish) and readers take it as none (codec.ts, list.lua, owned.lua).
  if owner and owner ~= h.owner then
    fields[#fields + 1] = 'owner'; fields[#fields + 1] = owner
  end
  h.status, h.updated, h.owner = to, now, owner
  if result then fields[#fields + 1] = 'result'; fields[#fields + 1] = result; h.result = result end
  if err then fields[#fields + 1] = 'error'; fields[#fields + 1] = err; h.error = err end
  if running then
    h.attempt = num((tonumber(lazy_field(h, 'attempt')) or 0) + 1)
    fields[#fields + 1] = 'attempt'; fields[#fields + 1] = h.attempt
  end
  -- A claim from REGISTERED (PENDING, RUNNING: the only two-step way to RUNNING from it), unless
  -- its value would pass 64 bytes: a longer value turns the record's hash from a listpack into a
  -- hashtable (hash-max-listpack-value), dearer than the entries it saves.
  local claimed = first == 'REGISTERED' and running and steps == 2 and runner and (now .. '|' .. runner)
  if claimed and #claimed > 64 then claimed = nil end
  if claimed then fields[#fields + 1] = 'claimed'; fields[#fields + 1] = claimed end
  redis.call('HSET', k, unpack(fields))
  index_move(id, first, to, now)
  -- Entries are made only when stored (a string costs ~10 instructions per byte).
  if not (claimed or implied_final(to, steps, runner, prev_owner)) then
    local hist = {}
    for j, s in ipairs(path) do hist[j] = hist_entry(now, s, runner) end
    redis.call('RPUSH', P .. 'h:' .. id, unpack(hist))
  end
  -- Every status change keeps the per-key set of active invocations exact (acquire counts it).
  if h.cckey then
    if ACTIVE[to] then redis.call('SADD', P .. 'run:' .. h.cckey, id) else redis.call('SREM', P .. 'run:' .. h.cckey, id) end
  end
  -- A registration key matches only while its invocation is REGISTERED: drop it on leaving.
  if first == 'REGISTERED' and lazy_field(h, 'regkey') then forget_registration(h.regkey, id) end
  return reply()
end

-- One validated status change (see apply_path).
local function apply(id, to, runner, result, err, now)
  return apply_path(id, { to }, runner, result, err, now, nil, true)
end

-- Queue score: higher priority first, then routing order.
local function queue_score(prio, seq)
  return string.format('%.0f', (9 - prio) * 1e13 + seq)
end

-- Running concurrency: the port of planAcquire (src/orchestration/acquire-planner.ts: decide() and
-- blockedPath()); src/testing/suites/acquire-plans.ts checks it decides the same.
-- cjson reads a JSON null as a truthy sentinel: treat it as absent.
local function opt(v)
  if v == nil or v == cjson.null then return nil end
  return v
end

-- Returns kind ('run' | 'requeue' | 'wait' | 'final'), then the start time (run) or not-before
-- (requeue, wait), then true when a requeue reserves that rate-limit slot. `starts`: sorted starts
-- and other invocations' reservations in the window; `reserved`: this one's reservation or nil.
local function cc_decide(cc, from, active, starts, now, delay, reserved)
  local max = opt(cc.maxRunning) or 0
  if max > 0 and active >= max then
    -- Only a fresh call (REGISTERED) may end CONCURRENCY_CONTROLLED_FINAL; one that already waited
    -- (REROUTED, RETRY) has no way there in the state machine, so it waits again.
    if cc.reroute == true or from ~= 'REGISTERED' then return 'requeue', now + delay end
    return 'final'
  end
  local count, window = opt(cc.rateCount), opt(cc.rateWindowMs)
  if not (count and window) then return 'run', now end
  if reserved then
    -- Its slot, unless starts that came late still fill the window: then it waits, unchanged.
    local past = {}
    for _, t in ipairs(starts) do
      if t <= now then past[#past + 1] = t end
    end
    if now < reserved or #past >= count then
      local freed = 0
      if #past >= count then freed = past[#past - count + 1] + window + 1 end
      return 'wait', math.max(reserved, freed)
    end
    return 'run', now
  end
  local near = 0
  for _, t in ipairs(starts) do
    if t <= now + window then near = near + 1 end
  end
  if near < count then return 'run', now end
  -- Reserve the slot after the last reservation, window past the count-th latest start.
  return 'requeue', math.max(starts[#starts], starts[#starts - count + 1] + window + 1), true
end

local function cc_blocked_path(from, kind)
  if kind == 'wait' then return {} end -- claimed before its reserved slot: back to the queue unchanged
  if from == 'RETRY' then return {} end -- RETRY may only go PENDING: it waits in the queue unchanged.
  if kind == 'final' and from == 'REGISTERED' then return { 'CONCURRENCY_CONTROLLED_FINAL' } end
  return { 'CONCURRENCY_CONTROLLED', 'REROUTED' }
end

-- Acquires one queued id for `runner` at `now` (ARGV string; `nowN` the same as a number); the
-- per-key active set (kept by apply) and start-time sorted set are read and updated here, so the
-- check and the act are one step. The statuses `path` (PENDING, or PENDING then RUNNING) are
-- applied to one that may run. Returns 'run', record | 'requeue', {id, priority, not-before} |
-- 'final', record (a blocked one that became final) | 'skip' (nothing to report).
local function acquire_one(id, runner, now, nowN, delay, path)
  local h = read_record(P .. 'i:' .. id)
  if not h or not ACQUIRABLE[h.status] then return 'skip' end
  local st = h.status
  if h.cc then
    local cc = cjson.decode(h.cc)
    local count, window = opt(cc.rateCount), opt(cc.rateWindowMs)
    local rk = P .. 'rate:' .. cc.key
    local starts, reserved = {}, nil
    if count and window then
      redis.call('ZREMRANGEBYSCORE', rk, '-inf', string.format('%.17g', nowN - window))
      local raw = redis.call('ZRANGE', rk, 0, -1, 'WITHSCORES')
      for j = 1, #raw, 2 do
        if raw[j] == 'r|' .. id then
          reserved = tonumber(raw[j + 1])
        else
          starts[#starts + 1] = tonumber(raw[j + 1])
        end
      end
    end
    local kind, nb, reserve = cc_decide(cc, st, redis.call('SCARD', P .. 'run:' .. cc.key), starts, nowN, delay, reserved)
    if kind ~= 'run' then
      local rec, last = nil, nil
      for _, to in ipairs(cc_blocked_path(st, kind)) do
        rec = apply(id, to, runner, nil, nil, now)
        last = to
      end
      if reserve then
        -- The reservation is a start that names its invocation (member r|<id>); the set lives
        -- until the window after the last reservation has passed.
        redis.call('ZADD', rk, string.format('%.17g', nb), 'r|' .. id)
        redis.call('PEXPIRE', rk, math.ceil(nb - nowN + window) + 1000)
      end
      if kind == 'requeue' or kind == 'wait' then return 'requeue', { id, h.priority, string.format('%.0f', nb) } end
      if last and FINAL[last] then return 'final', rec end
      return 'skip'
    end
    if count and window then
      if reserved then redis.call('ZREM', rk, 'r|' .. id) end
      redis.call('ZADD', rk, string.format('%.17g', nb), now .. '|' .. id)
      -- Starts older than the window no longer count: an idle key's set expires with them.
      if redis.call('PTTL', rk) < window + 1000 then redis.call('PEXPIRE', rk, math.ceil(window) + 1000) end
    end
  end
  return 'run', apply_path(id, path, runner, nil, nil, now, h, true)
end

-- JSON lists that stay lists when empty (cjson writes an empty table as {}; the TS side reads both).
local function acquire_reply(acquired, requeue, finals)
  return cjson.encode({ a = acquired, r = requeue, f = finals })
end

-- Routes {id, priority, not-before} items: ready ones join the queue scored by priority then
-- order; delayed ones wait in `qd` by time as 'priority|id'. Sets the wake-up marker.
local function route_items(nowN, items)
  if #items == 0 then return end
  local seq = redis.call('INCRBY', P .. 'qseq', #items) - #items
  local ready, delayed = {}, {}
  for _, it in ipairs(items) do
    local id, prio, nb = it[1], tonumber(it[2]), it[3]
    seq = seq + 1
    if tonumber(nb) > nowN then
      delayed[#delayed + 1] = nb; delayed[#delayed + 1] = prio .. '|' .. id
    else
      ready[#ready + 1] = queue_score(prio, seq); ready[#ready + 1] = id
    end
  end
  if #ready > 0 then redis.call('ZADD', P .. 'q', unpack(ready)) end
  if #delayed > 0 then redis.call('ZADD', P .. 'qd', unpack(delayed)) end
  redis.call('ZADD', P .. 'qm', 0, 'm')
end

-- Paused tasks (issue 19, item 5): `pt` is the set of paused task names, `pk:<task>` a task's
-- parked entries scored as in `q` (so resume puts them back in their order). An entry of a paused
-- task taken by a claim is parked here, in the claim's step, instead of being started.
local function park_if_paused(id, score)
  local task = redis.call('HGET', P .. 'i:' .. id, 'task')
  if not task or redis.call('SISMEMBER', P .. 'pt', task) == 0 then return false end
  redis.call('ZADD', P .. 'pk:' .. task, score, id)
  return true
end

-- Whether `id` has a parked entry: recovery counts it as queued.
local function parked(id)
  local task = redis.call('HGET', P .. 'i:' .. id, 'task')
  return task and redis.call('ZSCORE', P .. 'pk:' .. task, id)
end

-- Takes up to `max` ready ids at `now`: due delayed ids join the queue first. Keeps the wake-up
-- marker set while ids remain, so the next blocked claimer wakes too. Returns the ids and the
-- next delayed time (or false).
local function claim_ready(now, max)
  if max < 1 then return {}, false end -- outcomes only (ZRANGE 0 -1 would take the whole queue)
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
  -- The head of the queue, then removed by rank (one step, as ZPOPMIN): its scores are read only
  -- while some task is paused (a score crosses as a double formatted by snprintf, then parsed
  -- into Lua: ~5,000 instructions per member).
  local any_paused = redis.call('SCARD', P .. 'pt') > 0
  local ids = any_paused and redis.call('ZRANGE', q, 0, max - 1, 'WITHSCORES') or redis.call('ZRANGE', q, 0, max - 1)
  local step = any_paused and 2 or 1
  if #ids > 0 then redis.call('ZREMRANGEBYRANK', q, 0, #ids / step - 1) end
  if any_paused then
    local popped = ids
    ids = {}
    for j = 1, #popped, 2 do
      if not park_if_paused(popped[j], popped[j + 1]) then ids[#ids + 1] = popped[j] end
    end
  end
  if redis.call('ZCARD', q) > 0 then redis.call('ZADD', qm, 0, 'm') else redis.call('ZREM', qm, 'm') end
  return ids, redis.call('ZRANGE', qd, 0, 0, 'WITHSCORES')[2] or false
end

-- Stores one new invocation from ARGV[i..i+9] (see insert.lua) unless its registration key still
-- names a REGISTERED invocation. Returns the id used and whether this call stored it.
local function insert_one(now, i)
  local id, task = ARGV[i], ARGV[i + 1]
  local k = P .. 'i:' .. id
  -- An id already stored is left as it is (a resent insert must not reset it).
  if redis.call('EXISTS', k) == 1 then return id, false end
  local regkey = dec(ARGV[i + 6])
  if regkey then
    local prev = redis.call('GET', P .. 'reg:' .. regkey)
    if prev and redis.call('HGET', P .. 'i:' .. prev, 'status') == 'REGISTERED' then return prev, false end
  end
  -- No `attempt` until the first start writes 1: a missing one reads as 0 (codec.ts, apply_path),
  -- one value less to write and to read back at the claim.
  local fields = { 'id', id, 'task', task, 'args', ARGV[i + 2], 'status', 'REGISTERED',
    'priority', ARGV[i + 3], 'created', now, 'updated', now }
  local parent, wf, cckey, cc = dec(ARGV[i + 4]), dec(ARGV[i + 5]), dec(ARGV[i + 7]), dec(ARGV[i + 8])
  if parent then
    fields[#fields + 1] = 'parent'; fields[#fields + 1] = parent
    redis.call('ZADD', P .. 'p:' .. parent, now, id) -- children of a parent, for the family tree
  end
  if wf then fields[#fields + 1] = 'workflow'; fields[#fields + 1] = wf end
  local co = dec(ARGV[i + 9])
  if co then fields[#fields + 1] = 'co'; fields[#fields + 1] = co end
  if regkey then
    fields[#fields + 1] = 'regkey'; fields[#fields + 1] = regkey
    redis.call('SET', P .. 'reg:' .. regkey, id)
  end
  if cc then
    fields[#fields + 1] = 'cc'; fields[#fields + 1] = cc
    fields[#fields + 1] = 'cckey'; fields[#fields + 1] = cckey
  end
  redis.call('HSET', k, unpack(fields))
  index_new(task, now, id)
  index_move(id, nil, 'REGISTERED', now)
  return id, true
end

-- Status changes given as ARGV[first..] in groups of 7: id, to, runner, result, error, via (the
-- statuses passed through first, comma-joined), not-before (optional values encoded by dec()). Each
-- is validated alone, its whole path or nothing. With `route`, one that lands in a queued status
-- (RETRY, REROUTED) is routed here too: its status and its queue entry are one step. Returns, in
-- request order, [true, record] or [false, error tuple] (booleans: cjson writes a number with an
-- snprintf) (with `compact`, [true, {owner or '', attempt, updated}]
-- instead of the record: the caller knows the rest), the ids that became final and their records
-- as JSON rows for the `final` message (with `compact`, the caller's: ARGV[rows_at + k] for the
-- k-th request, the row it will be if it is written, or '' when none).
local function apply_requests(now, first, route, compact, rows_at)
  local out, final_ids, final_rows, items = {}, {}, {}, {}
  for i = first, (rows_at or #ARGV + 1) - 1, 7 do
    local id, to = ARGV[i], ARGV[i + 1]
    local path = { to }
    local via = dec(ARGV[i + 5])
    if via then
      path = {}
      for s in string.gmatch(via, '[^,]+') do path[#path + 1] = s end
      path[#path + 1] = to
    end
    local rec, e = apply_path(id, path, dec(ARGV[i + 2]), dec(ARGV[i + 3]), dec(ARGV[i + 4]), now, nil, not compact)
    if rec then
      out[#out + 1] = { true, rec }
      if FINAL[to] then
        final_ids[#final_ids + 1] = id
        local row
        if compact then row = rows_at and ARGV[rows_at + (i - first) / 7] else row = final_row(rec) end
        if row and row ~= '' then final_rows[#final_rows + 1] = row end
      end
      if route and QUEUED[to] then
        items[#items + 1] = { id, redis.call('HGET', P .. 'i:' .. id, 'priority'), dec(ARGV[i + 6]) or '0' }
      end
    else
      out[#out + 1] = { false, e }
    end
  end
  if #items > 0 then route_items(tonumber(now), items) end
  return out, final_ids, final_rows
end

-- Claim + acquire (concurrency control) + RUNNING for up to `max` ready ids; blocked ones go back
-- to the queue. Returns {s: RUNNING records, n: next delayed time or false, c: ids claimed,
-- f: records that became final} and appends those final ids to `final_ids`, their rows to
-- `final_rows` (see publish_finals).
local function claim_start(now, max, runner, delay, final_ids, final_rows)
  local nowN = tonumber(now)
  local ids, nxt = claim_ready(now, max)
  local started, requeue, finals = {}, {}, {}
  for _, id in ipairs(ids) do
    local kind, v = acquire_one(id, runner, now, nowN, delay, TO_RUNNING)
    if kind == 'run' then started[#started + 1] = v
    elseif kind == 'requeue' then requeue[#requeue + 1] = v
    elseif kind == 'final' then
      finals[#finals + 1] = v; final_ids[#final_ids + 1] = id
      final_rows[#final_rows + 1] = final_row(v)
    end
  end
  route_items(nowN, requeue)
  return { s = started, n = nxt, c = #ids, f = finals }
end
