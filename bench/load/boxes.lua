-- Set-top boxes for wrk: every connection is a box on one screen, loading it
-- once every BOX_PACING ms on average (uniformly 0.5x to 1.5x, so boxes do not
-- march in step); its first load comes at a random moment of the first
-- period, as boxes already switched on would. Each request is the next box of
-- the list (its cookies: tv_device and the front's tv_view and tv_who), so
-- every household is asked for in turn.
--
-- Environment: BOX_LIST (the CSV bench.load.seed writes), BOX_LIMIT (the
-- first so many of its boxes: the population, so that N boxes are N
-- households, each loading a screen every BOX_PACING ms), BOX_PATH (the
-- screen, with {receipt}, {epay} and {news} filled per box), BOX_NEWS (news
-- article ids, comma-separated), BOX_PACING (ms), BOX_CONNECTIONS (to spread
-- the first loads of a thread).
--
-- At the end it prints the latency histogram (microseconds and counts) and
-- the error counts, for bench.load.boxes to merge across screens.

local boxes = {}
local limit = tonumber(os.getenv("BOX_LIMIT") or "0")
local f = assert(io.open(os.getenv("BOX_LIST")))
local cols = {}
for c in string.gmatch((f:read("*l"):gsub("\r$", "")), "[^,]+") do cols[#cols + 1] = c end
for line in f:lines() do
  line = line:gsub("\r$", "")  -- Python's csv ends rows with CRLF
  local row, k = {}, 1
  for v in string.gmatch(line, "[^,]+") do row[cols[k]] = v; k = k + 1 end
  boxes[#boxes + 1] = row
  if limit > 0 and #boxes >= limit then break end
end
f:close()

local news = {}
for id in string.gmatch(os.getenv("BOX_NEWS") or "", "[^,]+") do news[#news + 1] = id end
local template = os.getenv("BOX_PATH") or "/tv/"
local pacing = tonumber(os.getenv("BOX_PACING") or "5000")
local first = tonumber(os.getenv("BOX_CONNECTIONS") or "0")
local delays, i = 0, 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring(boxes):match("0x(%x+)") or "0", 16) % 100000)
  i = math.random(#boxes)
end

function delay()
  delays = delays + 1
  if delays <= first then return math.random() * pacing end
  return pacing * (0.5 + math.random())
end

function request()
  i = i % #boxes + 1
  local b = boxes[i]
  local path = template:gsub("{receipt}", b.receipt):gsub("{epay}", b.epay)
  if #news > 0 then path = path:gsub("{news}", news[math.random(#news)]) end
  return wrk.format("GET", path, {["Cookie"] = b.cookie})
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BOX_SUMMARY %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
                         e.connect, e.read, e.write, e.status, e.timeout))
  for n = 1, #latency do
    local us, count = latency(n)
    io.write(string.format("BOX_LATENCY %d %d\n", us, count))
  end
end
