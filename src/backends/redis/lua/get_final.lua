-- Records of ARGV[2..] that are final, as HGETALL pairs; the others (and unknown ids) are left out.
-- A final-result watch reads this: most ids it looks at are still running, and their status alone
-- is far cheaper to read than their records.
local out = {}
for i = 2, #ARGV do
  local k = P .. 'i:' .. ARGV[i]
  if FINAL[redis.call('HGET', k, 'status')] then out[#out + 1] = redis.call('HGETALL', k) end
end
return out
