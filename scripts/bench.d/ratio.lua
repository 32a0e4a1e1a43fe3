-- GET /v1/rooms/{id}/ratio of a random room (that of a random child) of a sampled tenant.
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
   return wrk.format("GET", "/v1/rooms/" .. t.room .. "/ratio",
                     { ["Authorization"] = "Bearer " .. t.token })
end
