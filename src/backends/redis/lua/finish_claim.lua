-- A runner's outcomes and its next claim in one step (hot path): ARGV[2] now, ARGV[3] max,
-- ARGV[4] runner id, ARGV[5] reroute delay (ms), ARGV[6] '1' for compact results (see
-- apply_requests: the caller holds the records it started), ARGV[7] the number of status changes,
-- then the status changes as in transition.lua; those that land in a queued status (RETRY) are
-- routed in this same step. With compact results, one value per change follows them: its record
-- as a JSON row if it becomes final (for the `final` message, see publish_finals), else ''.
-- Replies claim_start.lua's reply plus d: the changes' results as transition.lua replies them.
local c = cached_reply()
if c then return c end
local now = ARGV[2]
local compact = ARGV[6] == '1'
local rows_at = nil
if compact then rows_at = 8 + 7 * tonumber(ARGV[7]) end
batch_index()
local done, final_ids, final_rows = apply_requests(now, 8, true, compact, rows_at)
local reply = claim_start(now, tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), final_ids, final_rows)
reply.d = done
flush_index()
publish_finals(final_ids, final_rows)
return remember(cjson.encode(reply))
