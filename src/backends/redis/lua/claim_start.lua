-- The fused claim-and-start (hot path): claim.lua, acquire.lua and the move to RUNNING in one
-- step. ARGV[2] now, ARGV[3] max, ARGV[4] runner id, ARGV[5] reroute delay (ms). Blocked ids go
-- back to the queue here. Replies {s: RUNNING records, n: next delayed time or false, c: how
-- many ids were claimed, f: records that became final}.
local c = cached_reply()
if c then return c end
local final_ids, final_rows = {}, {}
batch_index()
local reply = claim_start(ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), final_ids, final_rows)
flush_index()
publish_finals(final_ids, final_rows)
return remember(cjson.encode(reply))
