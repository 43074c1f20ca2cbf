-- Set-top boxes for wrk: every connection is a box on one screen, loading it
-- once every BOX_PACING ms on average (uniformly 0.5x to 1.5x, so boxes do not
-- march in step); its first load comes at a random moment of the first
-- period, as boxes already switched on would. The boxes of the list are
-- dealt out to wrk's threads; each request is the thread's next box (its
-- cookies: tv_device and the front's tv_view and tv_who), so every household
-- is asked for in turn.
--
-- Like a browser, a box keeps its copy of the screen: it sends the ETag it
-- was last given (If-None-Match) and takes a 304 as "my copy is current".
-- The box's number travels in X-Request-Id, which the app echoes, so an
-- answer is credited to the box that asked.
--
-- Environment: BOX_LIST (the CSV bench.load.seed writes), BOX_LIMIT (the
-- first so many of its boxes: the population, so that N boxes are N
-- households, each loading a screen every BOX_PACING ms), BOX_PATH (the
-- screen, with {receipt}, {epay} and {news} filled per box), BOX_NEWS (news
-- article ids, comma-separated), BOX_PACING (ms), BOX_CONNECTIONS (to spread
-- the first loads of a thread), BOX_THREADS (wrk's -t), BOX_ETAGS_IN (a file
-- of "box etag" lines: the copies the boxes already have), BOX_ETAGS_OUT
-- (where to write the copies they have at the end), BOX_PRIME (1: every box
-- loads the screen once, back to back, and the thread stops, leaving the file
-- BOX_DONE-<thread>).
--
-- At the end it prints the latency histogram (microseconds and counts), the
-- error counts and how many answers were 304s, for bench.load.boxes to merge
-- across screens.

local nthreads = tonumber(os.getenv("BOX_THREADS") or "1")
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end

local function read_boxes()
  local all, limit = {}, tonumber(os.getenv("BOX_LIMIT") or "0")
  local f = assert(io.open(os.getenv("BOX_LIST")))
  local cols = {}
  for c in string.gmatch((f:read("*l"):gsub("\r$", "")), "[^,]+") do cols[#cols + 1] = c end
  for line in f:lines() do
    line = line:gsub("\r$", "")  -- Python's csv ends rows with CRLF
    local row, k = {}, 1
    for v in string.gmatch(line, "[^,]+") do row[cols[k]] = v; k = k + 1 end
    all[#all + 1] = row
    if limit > 0 and #all >= limit then break end
  end
  f:close()
  return all
end

local boxes, ids, etags = {}, {}, {}  -- this thread's boxes, their numbers in the list, their copies
local news = {}
for id in string.gmatch(os.getenv("BOX_NEWS") or "", "[^,]+") do news[#news + 1] = id end
local template = os.getenv("BOX_PATH") or "/tv/"
local pacing = tonumber(os.getenv("BOX_PACING") or "5000")
local first = tonumber(os.getenv("BOX_CONNECTIONS") or "0")
local prime = os.getenv("BOX_PRIME") == "1"
local delays, i, answered = 0, 0, 0
notmod, kept = 0, {}  -- globals: done() collects them from every thread

local function each_copy(fn)  -- the copies the boxes had when the run began (BOX_ETAGS_IN)
  local src = os.getenv("BOX_ETAGS_IN")
  local f = src and src ~= "" and io.open(src)
  if not f then return end
  for line in f:lines() do
    local n, tag = line:match("^(%d+) (.+)$")
    if n then fn(tonumber(n), tag) end
  end
  f:close()
end

function init(args)
  local all, mine = read_boxes(), {}
  for n = 1, #all do
    if (n - 1) % nthreads == (tid or 0) then
      boxes[#boxes + 1] = all[n]
      ids[#boxes] = n
      mine[n] = #boxes
    end
  end
  each_copy(function(n, tag)
    local k = mine[n]
    if k then etags[k] = tag; kept[n] = tag end
  end)
  math.randomseed(os.time() + tonumber(tostring(boxes):match("0x(%x+)") or "0", 16) % 100000)
  i = prime and 0 or math.random(math.max(1, #boxes))
end

function delay()
  if prime then return 0 end
  delays = delays + 1
  if delays <= first then return math.random() * pacing end
  return pacing * (0.5 + math.random())
end

function request()
  i = i % #boxes + 1
  local b = boxes[i]
  local path = template:gsub("{receipt}", b.receipt):gsub("{epay}", b.epay)
  if #news > 0 then path = path:gsub("{news}", news[math.random(#news)]) end
  local headers = {["Cookie"] = b.cookie, ["X-Request-Id"] = tostring(i)}
  if etags[i] then headers["If-None-Match"] = etags[i] end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  local k = tonumber(headers["X-Request-Id"] or headers["x-request-id"] or "")
  if status == 304 then
    notmod = notmod + 1
  elseif status == 200 and k and boxes[k] then
    local tag = headers["ETag"] or headers["Etag"] or headers["etag"]
    etags[k] = tag
    kept[ids[k]] = tag or false  -- false: the box has no copy any more
  end
  answered = answered + 1
  if prime and answered == #boxes then
    -- wrk runs out its -d whatever the threads do: say so, and bench.load.boxes stops it
    local f = io.open(os.getenv("BOX_DONE") .. "-" .. tostring(tid or 0), "w")
    if f then f:close() end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BOX_SUMMARY %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
                         e.connect, e.read, e.write, e.status, e.timeout))
  for n = 1, #latency do
    local us, count = latency(n)
    io.write(string.format("BOX_LATENCY %d %d\n", us, count))
  end
  local n304, out, all = 0, os.getenv("BOX_ETAGS_OUT"), {}
  for _, t in ipairs(threads) do
    n304 = n304 + (t:get("notmod") or 0)
    for n, tag in pairs(t:get("kept") or {}) do all[n] = tag end
  end
  -- the copies of boxes this run did not drive (a smaller population) stay as they were
  each_copy(function(n, tag)
    if all[n] == nil then all[n] = tag end
  end)
  local f = out and out ~= "" and io.open(out, "w")
  if f then
    for n, tag in pairs(all) do
      if tag then f:write(string.format("%d %s\n", n, tag)) end
    end
    f:close()
  end
  io.write(string.format("BOX_NOTMOD %d\n", n304))
end
