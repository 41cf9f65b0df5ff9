-- Calls the oldest ticket (FIFO) atomically.
-- KEYS[1] = ticket list. Returns {waiting, now_ms, entry}; entry is
-- "ticket:issued_ms", or nil (Lua false) when the queue was empty.
local entry = redis.call('LPOP', KEYS[1])
local waiting = redis.call('LLEN', KEYS[1])
local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
return {waiting, now_ms, entry}
