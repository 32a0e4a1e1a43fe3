-- Shared by the load scenarios' wrk scripts (scripts/bench load, scale, mongo). wrk runs each
-- script once per thread (requests) and once more in its main state (setup, done).
--
-- Every scenario is started as
--   wrk ... -s scripts/bench.d/SCENARIO.lua URL -- FIXTURE_DIR PHASE THREADS RUN
-- FIXTURE_DIR holds what cubby-bench wrote (tokens.txt, targets.txt, login.json); PHASE is
-- `warm` or `measure`; THREADS is wrk's -t; RUN is 8 Crockford base32 characters unique to
-- this benchmark run (event ids).

local M = {}

-- Reads a file's lines into a table.
function M.lines(path)
   local out = {}
   local file = assert(io.open(path, "r"))
   for line in file:lines() do
      if line ~= "" then out[#out + 1] = line end
   end
   file:close()
   return out
end

-- The fixture: tokens (by line) and targets ({token, child, room, contact}).
function M.load(dir)
   local tokens = M.lines(dir .. "/tokens.txt")
   local targets = {}
   for _, line in ipairs(M.lines(dir .. "/targets.txt")) do
      local t, child, room, contact = line:match("^(%d+) (%S+) (%S+) (%S+)$")
      targets[#targets + 1] = { token = tokens[tonumber(t)], child = child, room = room,
                                contact = contact }
   end
   return tokens, targets
end

local ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"

-- `n` as `width` Crockford base32 digits (TypeID alphabet).
function M.base32(n, width)
   local digits = {}
   for i = width, 1, -1 do
      local d = n % 32
      digits[i] = ALPHABET:sub(d + 1, d + 1)
      n = (n - d) / 32
   end
   return table.concat(digits)
end

-- Thread ids for setup(): each thread gets its index, from 0.
local next_thread = 0
M.threads = {}
function M.setup(thread)
   thread:set("tid", next_thread)
   next_thread = next_thread + 1
   M.threads[#M.threads + 1] = thread
end

-- Prints one line: BENCH-JSON {...} with the throughput, latency percentiles and errors.
function M.done(summary, latency, requests)
   local seconds = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      'BENCH-JSON {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_us":%d,"p99_us":%d,' ..
      '"p999_us":%d,"max_us":%d,"mean_us":%.1f,"errors":{"connect":%d,"read":%d,' ..
      '"write":%d,"status":%d,"timeout":%d}}\n',
      summary.requests, seconds, summary.requests / seconds, latency:percentile(50),
      latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
      e.connect, e.read, e.write, e.status, e.timeout))
end

return M
