-- The fused claim-and-start (hot path): claim.lua, acquire.lua and the move to RUNNING in one
-- step. ARGV[2] now, ARGV[3] max, ARGV[4] runner id, ARGV[5] reroute delay (ms). Blocked ids go
-- back to the queue here. Replies {s: RUNNING records, n: next delayed time or false, c: how
-- many ids were claimed, f: records that became final}.
local c = cached_reply()
if c then return c end
local now, runner, delay = ARGV[2], ARGV[4], tonumber(ARGV[5])
local nowN = tonumber(now)
local ids, nxt = claim_ready(now, tonumber(ARGV[3]))
if #ids == 0 then return cjson.encode({ s = {}, n = nxt, c = 0, f = {} }) end
local started, requeue, finals, final_ids = {}, {}, {}, {}
for _, id in ipairs(ids) do
  local kind, v = acquire_one(id, runner, now, nowN, delay)
  if kind == 'run' then started[#started + 1] = apply(id, 'RUNNING', runner, nil, nil, now)
  elseif kind == 'requeue' then requeue[#requeue + 1] = v
  elseif kind == 'final' then finals[#finals + 1] = v; final_ids[#final_ids + 1] = id end
end
route_items(nowN, requeue)
publish_finals(final_ids)
return remember(cjson.encode({ s = started, n = nxt, c = #ids, f = finals }))
