-- wrk script: POSTs the bodies named in BODIES (a space-separated list of files, set by
-- the abuse script) in turn, as image/png, and counts the statuses it gets back.
local paths = {}
for path in string.gmatch(os.getenv("BODIES"), "%S+") do paths[#paths + 1] = path end
local requests = {}
local threads = {}
counts = {}

function setup(thread) threads[#threads + 1] = thread end

function init(args)
  for i, path in ipairs(paths) do
    local f = assert(io.open(path, "rb"))
    requests[i] = wrk.format("POST", "/api/predict", { ["Content-Type"] = "image/png" }, f:read("*all"))
    f:close()
  end
end

local next = 0
function request()
  next = next % #requests + 1
  return requests[next]
end

function response(status, headers, body) counts[status] = (counts[status] or 0) + 1 end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do total[status] = (total[status] or 0) + n end
  end
  local line = {}
  for status, n in pairs(total) do line[#line + 1] = status .. ": " .. n end
  table.sort(line)
  io.write("statuses: " .. table.concat(line, ", ") .. "\n")
end
