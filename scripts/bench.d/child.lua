-- GET /v1/children/{id} of a random child of a sampled tenant, as its director.
local common = dofile("scripts/bench.d/common.lua")
local targets

function setup(thread) common.setup(thread) end
function done(summary, latency, requests) common.done(summary, latency, requests) end

function init(args)
   local _
   _, targets = common.load(args[1])
   math.randomseed(tid + 1)
end

function request()
   local t = targets[math.random(#targets)]
   return wrk.format("GET", "/v1/children/" .. t.child, { ["Authorization"] = "Bearer " .. t.token })
end
