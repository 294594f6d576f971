-- Invocations in the statuses ARGV[4..] whose owner is among the runner ids ARGV[3] (a JSON array)
-- when ARGV[2] is 'in' (a runner's reconciliation: what the backend says it holds), or is not among
-- them when 'out' (recovery: the live runners' ids, so what is left is owned by dead ones).
local ids = {}
for _, r in ipairs(cjson.decode(ARGV[3])) do ids[r] = true end
local want = ARGV[2] == 'in'
local out = {}
for i = 4, #ARGV do
  -- Outside the owned statuses a record's owner field is a leftover (apply_path in lib.lua).
  for _, id in ipairs(OWNED[ARGV[i]] and redis.call('ZRANGE', P .. 's:' .. ARGV[i], 0, -1) or {}) do
    local k = P .. 'i:' .. id
    local owner = redis.call('HGET', k, 'owner')
    if owner and (ids[owner] == true) == want then out[#out + 1] = redis.call('HGETALL', k) end
  end
end
return out
