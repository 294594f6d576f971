-- A runner's outcomes and its next claim in one step (hot path): ARGV[2] now, ARGV[3] max,
-- ARGV[4] runner id, ARGV[5] reroute delay (ms), ARGV[6] '1' for compact results (see
-- apply_requests: the caller holds the records it started), then the status changes as in transition.lua;
-- those that land in a queued status (RETRY) are routed in this same step.
-- Replies claim_start.lua's reply plus d: the changes' results as transition.lua replies them.
local c = cached_reply()
if c then return c end
local now = ARGV[2]
batch_index()
local done, final_ids = apply_requests(now, 7, true, ARGV[6] == '1')
local reply = claim_start(now, tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), final_ids)
reply.d = done
flush_index()
publish_finals(final_ids)
return remember(cjson.encode(reply))
