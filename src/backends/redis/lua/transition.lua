-- Status changes: ARGV[2] now, then per request: id, to, runner, result, error (see
-- apply_requests). The reply lists, in request order, [1, record] or [0, error tuple]. Finals are
-- announced on the app's `final` channel.
local c = cached_reply()
if c then return c end
local out, final_ids = apply_requests(ARGV[2], 3)
publish_finals(final_ids)
return remember(cjson.encode(out))
