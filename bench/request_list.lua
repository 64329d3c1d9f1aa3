-- wrk script: replays a list of prepared requests, each once, in order (bench/_http_load.py writes
-- it). The benchmark makes every request unique (its own work item, key or event ids), so nothing
-- sent is a replay. Environment: BENCH_REQUESTS, a file of one request per line:
-- METHOD <tab> PATH <tab> (HEADER <tab> VALUE <tab>)* BODY. Should the list run out, the thread
-- stops and `done` says so (exhausted=1): the run is then too short to count.
local path = os.getenv("BENCH_REQUESTS")
local requests = {}
counter = 0 -- globals: `done` reads them through thread:get
exhausted = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(path) do
    local fields = {}
    for field in string.gmatch(line, "[^\t]+") do
      table.insert(fields, field)
    end
    local headers = {}
    for i = 3, #fields - 1, 2 do
      headers[fields[i]] = fields[i + 1]
    end
    table.insert(requests, wrk.format(fields[1], fields[2], headers, fields[#fields]))
  end
end

function request()
  counter = counter + 1
  if counter > #requests then
    exhausted = 1
    wrk.thread:stop()
    return requests[#requests]
  end
  return requests[counter]
end

function done(summary, latency, requests_done)
  local issued, out = 0, 0
  for _, thread in ipairs(threads) do
    issued = issued + (thread:get("counter") or 0)
    out = math.max(out, thread:get("exhausted") or 0)
  end
  io.write(string.format("WRK requests=%d seconds=%.3f non2xx=%d errors=%d p50_ms=%.2f p99_ms=%.2f issued=%d exhausted=%d\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, issued, out))
end
