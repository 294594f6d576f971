-- New invocations as REGISTERED, all in one step (their first history entry is implied, see lib.lua). ARGV[2] now,
-- then per invocation: id, task, args, priority, parent, workflow, registration key, concurrency
-- key, concurrency JSON, per-call limits JSON (the last six optional, encoded by dec()). One whose registration key
-- still names a REGISTERED invocation is not stored: that id is used instead (reg:<key> -> id,
-- dropped by apply when the invocation leaves REGISTERED). See insert_one in lib.lua. Replies the
-- JSON list of ids used.
local c = cached_reply()
if c then return c end
local now = ARGV[2]
batch_index()
local used = {}
for i = 3, #ARGV, 10 do used[#used + 1] = insert_one(now, i) end
flush_index()
return remember(cjson.encode(used))
