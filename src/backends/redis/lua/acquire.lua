-- Claim step after the broker: ARGV[2] now, ARGV[3] runner id, ARGV[4] reroute delay (ms), then
-- invocation ids. Those still waiting in the queue (ACQUIRABLE) move to PENDING owned by the
-- runner unless running concurrency or a rate limit blocks them (acquire_one in lib.lua); the
-- rest are skipped. Replies {a: PENDING records, r: [id, priority, not-before] to requeue,
-- f: records that became final}.
local c = cached_reply()
if c then return c end
local now, runner, delay = ARGV[2], ARGV[3], tonumber(ARGV[4])
local nowN = tonumber(now)
local acquired, requeue, finals, final_ids, final_rows = {}, {}, {}, {}, {}
batch_index()
for i = 5, #ARGV do
  local kind, v = acquire_one(ARGV[i], runner, now, nowN, delay, TO_PENDING)
  if kind == 'run' then acquired[#acquired + 1] = v
  elseif kind == 'requeue' then requeue[#requeue + 1] = v
  elseif kind == 'final' then finals[#finals + 1] = v; final_ids[#final_ids + 1] = ARGV[i]; final_rows[#final_rows + 1] = final_row(v) end
end
flush_index()
publish_finals(final_ids, final_rows)
return remember(acquire_reply(acquired, requeue, finals))
