-- wrk script for scripts/loadtest: GET /api/v1/estimates for the plates
-- listed in the file named by the PLATES environment variable, one a line,
-- each thread walking the list from its own offset. Each thread stops after
-- MAX_REQUESTS / threads responses, so the load is bounded in count as well
-- as in time (wrk -d). Counts every answer that is not 2xx; done() prints
-- the summary scripts/loadtest reads.

local threads = {}
local nthreads = 0

function setup(thread)
   nthreads = nthreads + 1
   thread:set("id", nthreads)
   table.insert(threads, thread)
end

local paths = {}
local next_path = 1
local limit = 0
-- Globals, so done() can read them with thread:get.
responses, not2xx = 0, 0

local function urlencode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
   local f = assert(io.open(os.getenv("PLATES"), "r"))
   for plate in f:lines() do
      if plate ~= "" then
         table.insert(paths, "/api/v1/estimates?parcel_id=" .. urlencode(plate))
      end
   end
   f:close()
   assert(#paths > 0, "no plates in " .. os.getenv("PLATES"))
   -- Threads start at different places so they do not ask in lockstep.
   next_path = (id * 7919) % #paths + 1
   local total = tonumber(os.getenv("MAX_REQUESTS") or "0")
   local n = tonumber(os.getenv("THREADS") or "1")
   if total > 0 then limit = math.ceil(total / n) end
end

function request()
   local p = paths[next_path]
   next_path = next_path % #paths + 1
   return wrk.format("GET", p)
end

function response(status, headers, body)
   responses = responses + 1
   if status < 200 or status > 299 then
      not2xx = not2xx + 1
   end
   if limit > 0 and responses >= limit then
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, t in ipairs(threads) do
      bad = bad + t:get("not2xx")
   end
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format("requests      %d in %.2f s\n", summary.requests, seconds))
   io.write(string.format("rate          %.0f estimates/s\n", summary.requests / seconds))
   for _, q in ipairs({50, 90, 99, 99.9}) do
      io.write(string.format("latency p%-5s %.2f ms\n", tostring(q), latency:percentile(q) / 1000))
   end
   io.write(string.format("latency max   %.2f ms\n", latency.max / 1000))
   io.write(string.format("not 2xx       %d\n", bad))
   io.write(string.format("socket errors connect %d, read %d, write %d, timeout %d\n",
      e.connect, e.read, e.write, e.timeout))
   -- wrk runs its full -d even when every thread stopped early.
   local total = tonumber(os.getenv("MAX_REQUESTS") or "0")
   if total > 0 and summary.requests >= total then
      io.write(string.format("note          the request limit (%d) ended the load early: the rate is a lower bound\n", total))
   end
end
