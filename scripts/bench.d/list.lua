-- GET /v1/children?limit=25 as a director of a random sampled tenant.
local common = dofile("scripts/bench.d/common.lua")
local tokens

function setup(thread) common.setup(thread) end
function done(summary, latency, requests) common.done(summary, latency, requests) end

function init(args)
   tokens = common.load(args[1])
   math.randomseed(tid + 1)
end

function request()
   local token = tokens[math.random(#tokens)]
   return wrk.format("GET", "/v1/children?limit=25", { ["Authorization"] = "Bearer " .. token })
end
