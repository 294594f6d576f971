-- Takes up to ARGV[3] ready ids at time ARGV[2] (claim_ready in lib.lua). Replies
-- [ids, next delayed time or false].
local c = cached_reply()
if c then return c end
local ids, nxt = claim_ready(ARGV[2], tonumber(ARGV[3]))
if #ids == 0 then return cjson.encode({ {}, nxt }) end
return remember(cjson.encode({ ids, nxt }))
