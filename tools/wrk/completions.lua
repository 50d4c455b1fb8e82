-- wrk script: successful (2xx) and other responses per 100 ms of wall-clock time, for the restart benchmark's
-- phase figures (docs/benchmark.md, "The same with wrk"). Each wrk thread counts in its own Lua state; done() sums
-- the threads and writes "bucket,ok,non2xx" lines (bucket = epoch milliseconds / 100) to $WRK_BUCKETS, after a
-- "# errors ..." line with wrk's socket errors. Wall clock (CLOCK_REALTIME, through LuaJIT's ffi) so that the
-- buckets of two wrk processes and the restart marks (date +%s%3N) share one time axis.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")

local function bucket()
  ffi.C.clock_gettime(0, ts) -- CLOCK_REALTIME
  return tonumber(ts.tv_sec) * 10 + math.floor(tonumber(ts.tv_nsec) / 100000000)
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = {}     -- globals: done() reads them with thread:get()
  non2xx = {}
end

function response(status, headers, body)
  local b = bucket()
  if status >= 200 and status < 300 then
    ok[b] = (ok[b] or 0) + 1
  else
    non2xx[b] = (non2xx[b] or 0) + 1
  end
end

function done(summary, latency, requests)
  local okAll, badAll, keys = {}, {}, {}
  for _, thread in ipairs(threads) do
    for b, n in pairs(thread:get("ok") or {}) do
      if okAll[b] == nil and badAll[b] == nil then table.insert(keys, b) end
      okAll[b] = (okAll[b] or 0) + n
    end
    for b, n in pairs(thread:get("non2xx") or {}) do
      if okAll[b] == nil and badAll[b] == nil then table.insert(keys, b) end
      badAll[b] = (badAll[b] or 0) + n
    end
  end
  table.sort(keys)
  local file = assert(io.open(os.getenv("WRK_BUCKETS") or "wrk-buckets.csv", "w"))
  local e = summary.errors
  file:write(string.format("# errors connect=%d read=%d write=%d timeout=%d status=%d requests=%d\n",
    e.connect, e.read, e.write, e.timeout, e.status, summary.requests))
  for _, b in ipairs(keys) do
    file:write(string.format("%d,%d,%d\n", b, okAll[b] or 0, badAll[b] or 0))
  end
  file:close()
end
