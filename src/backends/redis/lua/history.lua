-- The whole history of each of ARGV[2..] (full_history: the stored entries and those its record
-- implies), in request order; empty for unknown ids.
local out = {}
for i = 2, #ARGV do out[#out + 1] = full_history(ARGV[i]) end
return out
