-- The front's own answer to a box revalidating a household screen
-- (tvapp.front loads this into nginx when its Lua module is installed).
--
-- For every /tv/ request from a box with a device cookie it names the box's
-- record for this screen (a digest of the device cookie, the front cookies and
-- the URI) and passes the name to the app in X-TV-Front-Key, which writes the
-- record when it answers a household screen (tvapp.screen_cache). When the box
-- offers a household validator (If-None-Match with a tag starting "h"), one
-- Redis call (check.lua) says whether that copy is still current; if so the
-- 304 is answered here with the headers the app gives, and Python never sees
-- the request. Anything else - no record, a stale one, Redis slow or down, an
-- error - goes on to the app, which decides as it always has.
local conf = require "tvfront_conf"

local M = {}

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local f = assert(io.open(conf.script, "rb"))
local SCRIPT = f:read("*a")
f:close()
local SHA = hex(ngx.sha1_bin(SCRIPT))

local function command(...)
  local n = select("#", ...)
  local out = { "*" .. n .. "\r\n" }
  for i = 1, n do
    local a = select(i, ...)
    out[#out + 1] = "$" .. #a .. "\r\n" .. a .. "\r\n"
  end
  return table.concat(out)
end

-- One reply: a string, false for nil, or nil and an error.
local function reply(sock)
  local line, err = sock:receive()
  if not line then
    return nil, err
  end
  local kind = line:sub(1, 1)
  if kind == "$" then
    local n = tonumber(line:sub(2))
    if not n or n < 0 then
      return false
    end
    local data, rerr = sock:receive(n + 2)
    if not data then
      return nil, rerr
    end
    return data:sub(1, n)
  elseif kind == "+" or kind == ":" then
    return line:sub(2)
  elseif kind == "_" then
    return false
  elseif kind == "-" then
    return nil, line
  end
  return nil, "unexpected reply " .. kind
end

local function call(sock, ...)
  local ok, err = sock:send(command(...))
  if not ok then
    return nil, err
  end
  return reply(sock)
end

local function connect()
  local sock = ngx.socket.tcp()
  sock:settimeouts(conf.timeout_ms, conf.timeout_ms, conf.timeout_ms)
  local ok, err
  if conf.unix then
    ok, err = sock:connect("unix:" .. conf.unix)
  else
    ok, err = sock:connect(conf.host, conf.port)
  end
  if not ok then
    return nil, err
  end
  if sock:getreusedtimes() == 0 then
    if conf.password then
      local r, aerr
      if conf.username then
        r, aerr = call(sock, "AUTH", conf.username, conf.password)
      else
        r, aerr = call(sock, "AUTH", conf.password)
      end
      if not r then
        sock:close()
        return nil, aerr or "AUTH refused"
      end
    end
    if conf.db ~= 0 then
      local r, serr = call(sock, "SELECT", tostring(conf.db))
      if not r then
        sock:close()
        return nil, serr or "SELECT refused"
      end
    end
  end
  return sock
end

local function current(key, inm)
  local sock, err = connect()
  if not sock then
    ngx.log(ngx.INFO, "tvfront: Redis not reached: ", err)
    return nil
  end
  local tag
  tag, err = call(sock, "EVALSHA", SHA, "1", key, inm)
  if tag == nil and err and err:find("NOSCRIPT", 1, true) then
    tag, err = call(sock, "EVAL", SCRIPT, "1", key, inm)
  end
  if tag == nil and err and not err:find("^%-") then
    sock:close()  -- a network error: the connection's state is unknown
  else
    sock:setkeepalive(conf.idle_ms, conf.pool)
  end
  if tag == nil then
    ngx.log(ngx.INFO, "tvfront: check failed: ", err)
  end
  return tag
end

function M.access()
  local token = ngx.var.cookie_tv_device
  if not token or #token > 128 then
    return
  end
  local name = ngx.encode_base64(ngx.sha1_bin(table.concat(
    { token, ngx.var.cookie_tv_view or "", ngx.var.cookie_tv_who or "", ngx.var.request_uri }, "\n")))
  ngx.var.tv_front_key = name
  local inm = ngx.var.http_if_none_match
  local method = ngx.req.get_method()
  if not inm or #inm > 1024 or not inm:find('"h', 1, true) or (method ~= "GET" and method ~= "HEAD") then
    return
  end
  local tag = current(conf.prefix .. name, inm)
  if not tag then
    return
  end
  -- Sent here, not by ngx.exit(304): nginx's special responses drop the ETag.
  ngx.status = ngx.HTTP_NOT_MODIFIED
  ngx.header["ETag"] = 'W/"' .. tag .. '"'
  ngx.header["Cache-Control"] = conf.cache_control
  ngx.header["Vary"] = "Cookie"
  ngx.header["Set-Cookie"] = string.format(conf.now_cookie, math.floor(ngx.now() * 1000))
  ngx.header["X-TV-Cache"] = "VALIDATED"
  ngx.send_headers()
  return ngx.exit(ngx.HTTP_OK)
end

return M
