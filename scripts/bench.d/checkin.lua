-- POST /v1/attendance: a check-in with a unique event id and Idempotency-Key, as the child's
-- director, each child once; a thread that has checked in all its children checks them out
-- (with their contact) and then in again.
--
-- The targets are split so that runs and threads never share a child: the warm-up run takes
-- the first tenth of targets.txt, the measured run the rest; thread k of T takes every T-th.
local common = dofile("scripts/bench.d/common.lua")
local mine, run, phase = {}, nil, 0
local position, count = 0, 0

function setup(thread) common.setup(thread) end
function done(summary, latency, requests) common.done(summary, latency, requests) end

function init(args)
   local _, targets = common.load(args[1])
   local threads = tonumber(args[3])
   -- The warm-up and the measured run make different ids and keys (a reused key or event id
   -- would be answered as a replay).
   run = args[4]
   phase = args[2] == "warm" and 16 or 0
   local cut = math.floor(#targets / 10)
   local first, last = cut + 1, #targets
   if args[2] == "warm" then first, last = 1, cut end
   for i = first, last do
      if (i - first) % threads == tid then mine[#mine + 1] = { t = targets[i], present = false } end
   end
end

function request()
   position = position % #mine + 1
   count = count + 1
   local entry = mine[position]
   local t = entry.t
   -- 26 characters: 0, the run, the phase and thread, a counter (a valid TypeID suffix).
   local id = "att_0" .. run .. common.base32(phase + tid, 1) .. common.base32(count, 16)
   local body
   if entry.present then
      body = '{"id":"' .. id .. '","kind":"check_out","child_id":"' .. t.child ..
             '","contact_id":"' .. t.contact .. '"}'
   else
      body = '{"id":"' .. id .. '","kind":"check_in","child_id":"' .. t.child ..
             '","contact_id":"' .. t.contact .. '"}'
   end
   entry.present = not entry.present
   return wrk.format("POST", "/v1/attendance", {
      ["Authorization"] = "Bearer " .. t.token,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = "bench-" .. run .. "-" .. (phase + tid) .. "-" .. count,
   }, body)
end
