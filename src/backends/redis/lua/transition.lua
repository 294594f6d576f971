-- Status changes: ARGV[2] now, ARGV[3] '1' to route those that land in a queued status in the
-- same step (the hot path's transitionAndRoute) or '0', then per request: id, to, runner, result,
-- error, via, not-before (see apply_requests). The reply lists, in request order, [true, record] or [false, error tuple]. Finals are
-- announced on the app's `final` channel.
local c = cached_reply()
if c then return c end
batch_index()
local out, final_ids, final_rows = apply_requests(ARGV[2], 4, ARGV[3] == '1')
flush_index()
publish_finals(final_ids, final_rows)
return remember(cjson.encode(out))
