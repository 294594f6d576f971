-- Enqueue: ARGV[2] now, then per item: id, priority (0-9), not-before (0: ready now). See
-- route_items in lib.lua.
local items = {}
for i = 3, #ARGV, 3 do items[#items + 1] = { ARGV[i], ARGV[i + 1], ARGV[i + 2] } end
route_items(tonumber(ARGV[2]), items)
return 0
