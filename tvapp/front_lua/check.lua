-- Run by Redis (EVALSHA from the front, tvapp/front_lua/tvfront.lua): is a
-- box's kept copy of a household screen still current?
--
-- KEYS[1]: the box's record for the screen, written by the app when it last
-- answered it (tvapp.screen_cache.keep_for_front): JSON {"t": the screen's
-- validator, "d": [key, expected, key, expected, ...]}, where expected is the
-- SHA-1 of the key's value, or "-" for a key that must not exist.
-- ARGV[1]: the box's If-None-Match.
--
-- Returns the validator when the box holds it and every key still has the
-- value the screen was made from; else nil (the app decides). Reads only.
local rec = redis.call('GET', KEYS[1])
if not rec then
  return false
end
local ok, r = pcall(cjson.decode, rec)
if not ok or type(r) ~= 'table' or type(r.t) ~= 'string' or type(r.d) ~= 'table' or r.t == '' then
  return false
end
if not string.find(ARGV[1], '"' .. r.t .. '"', 1, true) then
  return false
end
for i = 1, #r.d - 1, 2 do
  local key, want = r.d[i], r.d[i + 1]
  if type(key) ~= 'string' or type(want) ~= 'string' then
    return false
  end
  local v = redis.pcall('GET', key)
  if type(v) == 'table' then  -- an error reply (not a string key): not current
    return false
  end
  if want == '-' then
    if v then
      return false
    end
  elseif not v or redis.sha1hex(v) ~= want then
    return false
  end
end
return r.t
