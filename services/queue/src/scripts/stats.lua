-- Queue size and the oldest entry, for the scrape-time gauges.
-- KEYS[1] = ticket list. Returns {waiting, now_ms, oldest_entry or nil}.
local waiting = redis.call('LLEN', KEYS[1])
local oldest = redis.call('LINDEX', KEYS[1], 0)
local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
return {waiting, now_ms, oldest}
