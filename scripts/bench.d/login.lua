-- POST /v1/auth/login (bearer mode) with the first tenant's director's password: argon2id at
-- the settings' cost dominates it.
local common = dofile("scripts/bench.d/common.lua")
local body

function setup(thread) common.setup(thread) end
function done(summary, latency, requests) common.done(summary, latency, requests) end

function init(args)
   local file = assert(io.open(args[1] .. "/login.json", "r"))
   body = file:read("*a")
   file:close()
end

function request()
   return wrk.format("POST", "/v1/auth/login", { ["Content-Type"] = "application/json" }, body)
end
