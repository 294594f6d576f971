-- The fused enqueue (hot path): insert.lua and route.lua in one step. ARGV[2] now, then per
-- invocation the 10 values of insert.lua and its priority clamped for the queue (0-9). Only the
-- invocations this call stored are routed. Replies the JSON list of ids used.
local c = cached_reply()
if c then return c end
local now = ARGV[2]
batch_index()
local used, items = {}, {}
for i = 3, #ARGV, 11 do
  local id, stored = insert_one(now, i)
  used[#used + 1] = id
  if stored then items[#items + 1] = { id, ARGV[i + 10], '0' } end
end
route_items(tonumber(now), items)
flush_index()
return remember(cjson.encode(used))
