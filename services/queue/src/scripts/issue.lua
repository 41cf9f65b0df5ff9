-- Issues the next ticket atomically: number, issue time (Redis's clock, so every
-- replica agrees) and position in one step.
-- KEYS[1] = sequence counter, KEYS[2] = ticket list. Returns {ticket, waiting, now_ms}.
local time = redis.call('TIME')
local now_ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ticket = redis.call('INCR', KEYS[1])
local waiting = redis.call('RPUSH', KEYS[2], ticket .. ':' .. now_ms)
return {ticket, waiting, now_ms}
