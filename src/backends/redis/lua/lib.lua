-- Shared by every script. Loaded after the status tables generated from src/core/status.ts
-- (TRANSITIONS, OWNED, RECOVERY, FINAL, ACQUIRABLE, ACTIVE, STATUSES), before the script's own body.
-- Conventions: KEYS[1] is the op key (the reply cache of scripts that must not run twice; a
-- placeholder in the app's slot for the others), ARGV[1] is the key prefix.
local P = ARGV[1]
local OP_TTL_MS = 60000

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

local function publish_finals(ids)
  if #ids > 0 then redis.call('PUBLISH', P .. 'final', cjson.encode(ids)) end
end

local function forget_registration(regkey, id)
  local rk = P .. 'reg:' .. regkey
  if redis.call('GET', rk) == id then redis.call('DEL', rk) end
end

-- One validated status change, the same rules as checkTransition in src/core/status.ts.
-- Returns the new record (HGETALL pairs), or nil and an error tuple.
local function apply(id, to, runner, result, err, now)
  local k = P .. 'i:' .. id
  local cur = redis.call('HMGET', k, 'status', 'owner', 'cckey', 'regkey')
  local from = cur[1]
  if not from then return nil, { 'notfound' } end
  local owner = cur[2] or nil
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
  local fields = { 'status', to, 'updated', now }
  if new_owner then
    fields[#fields + 1] = 'owner'; fields[#fields + 1] = new_owner
  elseif owner then
    redis.call('HDEL', k, 'owner')
  end
  if result then fields[#fields + 1] = 'result'; fields[#fields + 1] = result end
  if err then fields[#fields + 1] = 'error'; fields[#fields + 1] = err end
  redis.call('HSET', k, unpack(fields))
  if to == 'RUNNING' then redis.call('HINCRBY', k, 'attempt', 1) end
  redis.call('ZREM', P .. 's:' .. from, id)
  redis.call('ZADD', P .. 's:' .. to, now, id)
  redis.call('RPUSH', P .. 'h:' .. id, hist_entry(now, to, runner))
  -- Every status change keeps the per-key set of active invocations exact (acquire counts it).
  if cur[3] then
    if ACTIVE[to] then redis.call('SADD', P .. 'run:' .. cur[3], id) else redis.call('SREM', P .. 'run:' .. cur[3], id) end
  end
  -- A registration key matches only while its invocation is REGISTERED: drop it on leaving.
  if from == 'REGISTERED' and cur[4] then forget_registration(cur[4], id) end
  return redis.call('HGETALL', k)
end

-- Queue score: higher priority first, then routing order.
local function queue_score(prio, seq)
  return string.format('%.0f', (9 - prio) * 1e13 + seq)
end

-- Running concurrency: the same rules as decide() and blockedPath() in src/orchestration/concurrency.ts.
-- cjson reads a JSON null as a truthy sentinel: treat it as absent.
local function opt(v)
  if v == nil or v == cjson.null then return nil end
  return v
end

local function cc_decide(cc, active, starts, now, delay)
  local max = opt(cc.maxRunning) or 0
  if max > 0 and active >= max then
    if cc.reroute == true then return 'requeue', now + delay end
    return 'final'
  end
  local count, window = opt(cc.rateCount), opt(cc.rateWindowMs)
  if count and window and #starts >= count then
    -- A rate limit means "later": back to the queue until the oldest counted start leaves the window.
    return 'requeue', starts[#starts - count + 1] + window + 1
  end
  return 'run'
end

local function cc_blocked_path(from, kind)
  if from == 'RETRY' then return {} end -- RETRY may only go PENDING: it waits in the queue unchanged.
  if kind == 'final' and from == 'REGISTERED' then return { 'CONCURRENCY_CONTROLLED_FINAL' } end
  return { 'CONCURRENCY_CONTROLLED', 'REROUTED' }
end

-- Acquires one queued id for `runner` at `now` (ARGV string; `nowN` the same as a number); the
-- per-key active set (kept by apply) and start-time sorted set are read and updated here, so the
-- check and the act are one step. Returns 'run', PENDING record | 'requeue', {id, priority,
-- not-before} | 'final', record (a blocked one that became final) | 'skip' (nothing to report).
local function acquire_one(id, runner, now, nowN, delay)
  local f = redis.call('HMGET', P .. 'i:' .. id, 'status', 'cc', 'priority')
  local st = f[1]
  if not st or not ACQUIRABLE[st] then return 'skip' end
  if f[2] then
    local cc = cjson.decode(f[2])
    local count, window = opt(cc.rateCount), opt(cc.rateWindowMs)
    local rk = P .. 'rate:' .. cc.key
    local starts = {}
    if count and window then
      redis.call('ZREMRANGEBYSCORE', rk, '-inf', string.format('%.17g', nowN - window))
      local raw = redis.call('ZRANGE', rk, 0, -1, 'WITHSCORES')
      for j = 2, #raw, 2 do starts[#starts + 1] = tonumber(raw[j]) end
    end
    local kind, nb = cc_decide(cc, redis.call('SCARD', P .. 'run:' .. cc.key), starts, nowN, delay)
    if kind ~= 'run' then
      local rec, last = nil, nil
      for _, to in ipairs(cc_blocked_path(st, kind)) do
        rec = apply(id, to, runner, nil, nil, now)
        last = to
      end
      if kind == 'requeue' then return 'requeue', { id, f[3], string.format('%.0f', nb) } end
      if last and FINAL[last] then return 'final', rec end
      return 'skip'
    end
    if count and window then
      redis.call('ZADD', rk, now, now .. '|' .. id)
      -- Starts older than the window no longer count: an idle key's set expires with them.
      redis.call('PEXPIRE', rk, math.ceil(window) + 1000)
    end
  end
  return 'run', apply(id, 'PENDING', runner, nil, nil, now)
end

-- JSON lists that stay lists when empty (cjson writes an empty table as {}; the TS side reads both).
local function acquire_reply(acquired, requeue, finals)
  return cjson.encode({ a = acquired, r = requeue, f = finals })
end
