-- Status changes: ARGV[2] now, then per request: id, to, runner, result, error (optional values
-- encoded by dec()). Each request is validated alone; the reply lists, in request order,
-- [1, record] or [0, error tuple]. Finals are announced on the app's `final` channel.
local c = cached_reply()
if c then return c end
local now = ARGV[2]
local out, finals = {}, {}
for i = 3, #ARGV, 5 do
  local id, to = ARGV[i], ARGV[i + 1]
  local rec, e = apply(id, to, dec(ARGV[i + 2]), dec(ARGV[i + 3]), dec(ARGV[i + 4]), now)
  if rec then
    out[#out + 1] = { 1, rec }
    if FINAL[to] then finals[#finals + 1] = id end
  else
    out[#out + 1] = { 0, e }
  end
end
publish_finals(finals)
return remember(cjson.encode(out))
