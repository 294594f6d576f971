-- Shared by every script. Loaded after the status tables generated from src/core/status.ts
-- (TRANSITIONS, OWNED, RECOVERY, FINAL, ACQUIRABLE, STATUSES), before the script's own body.
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

-- One validated status change, the same rules as checkTransition in src/core/status.ts.
-- Returns the new record (HGETALL pairs), or nil and an error tuple.
local function apply(id, to, runner, result, err, now)
  local k = P .. 'i:' .. id
  local cur = redis.call('HMGET', k, 'status', 'owner')
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
  return redis.call('HGETALL', k)
end

-- Queue score: higher priority first, then routing order.
local function queue_score(prio, seq)
  return string.format('%.0f', (9 - prio) * 1e13 + seq)
end
