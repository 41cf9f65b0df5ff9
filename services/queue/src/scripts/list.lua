-- Lists the first ARGV[1] tickets and the total, from one consistent snapshot.
-- KEYS[1] = ticket list. Returns {waiting, {entry...}}.
local waiting = redis.call('LLEN', KEYS[1])
local entries = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
return {waiting, entries}
