-- wrk script for bench/order_entry_bench.py: POST /v1/orders with a unique Idempotency-Key per
-- request and customers and skus varied. Environment: BENCH_API_KEY, BENCH_CUSTOMERS, BENCH_RUN.
local api_key = os.getenv("BENCH_API_KEY") or "none"
local customers = tonumber(os.getenv("BENCH_CUSTOMERS") or "64")
local run = os.getenv("BENCH_RUN") or tostring(os.time())
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local skus = { "BENCH-MUG", "BENCH-CAP", "BENCH-TEE", "BENCH-PEN" }
local prices = { "12.50", "9.90", "19.00", "1.25" }

function request()
  counter = counter + 1
  local n = counter
  local first = (n % 4) + 1
  local second = ((n + 1) % 4) + 1
  local body = string.format(
    '{"customer_id":"bench-cus-%d","channel":"web","service_level":"standard",' ..
    '"ship_to":{"country":"DE","region":"BE","city":"Berlin","postal_code":"10115","line1":"Street 1"},' ..
    '"lines":[{"sku":"%s","quantity":%d,"unit_price":"%s"},{"sku":"%s","quantity":1,"unit_price":"%s"}]}',
    n % customers, skus[first], (n % 3) + 1, prices[first], skus[second], prices[second])
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. api_key,
    ["Idempotency-Key"] = string.format("bench-%s-%d-%d", run, thread_id or 0, n),
  }
  return wrk.format("POST", "/v1/orders", headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("WRK requests=%d seconds=%.3f non2xx=%d errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
