-- Prints one JSON line with throughput and latency percentiles (microseconds) when wrk is done.
-- For POST runs, BENCH_BODY_PREFIX is the form without its key; every request gets a fresh key,
-- so each one is a real new booking (the benchmark clinic has plenty of seats per slot), and a
-- client address of its own (uvicorn trusts X-Forwarded-For from 127.0.0.1).
local prefix = os.getenv("BENCH_BODY_PREFIX")
local cookie = os.getenv("BENCH_COOKIE")
local htmx = os.getenv("BENCH_HX")
local htmx_target = os.getenv("BENCH_HX_TARGET")
-- Bookings spread over every free slot, as real ones would be.
local starts = {}
for start in string.gmatch(os.getenv("BENCH_STARTS") or "", "[^,]+") do
  table.insert(starts, start)
end
local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function token()
  local out = {}
  for i = 1, 43 do
    local n = math.random(1, #chars)
    out[i] = chars:sub(n, n)
  end
  return table.concat(out)
end

-- BENCH_SEED is drawn afresh by bench/run.py for every run: keys never repeat a former run's.
math.randomseed(tonumber(os.getenv("BENCH_SEED") or os.time()))

function setup(thread)
  thread:set("seed", math.random(1, 1e9))
end

function init(args)
  math.randomseed(seed or os.time())
end

request = function()
  local headers = { ["Accept-Encoding"] = "br, gzip" }
  if htmx then
    headers["HX-Request"] = "true"
    if htmx_target and htmx_target ~= "" then
      headers["HX-Target"] = htmx_target
    end
  end
  if prefix then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["Cookie"] = cookie
    -- Each booking from its own address, as patients' would be: the booking limit stays the
    -- real one (10 per 10 minutes per address), counted as in production.
    headers["X-Forwarded-For"] = string.format(
      "10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
    local start = starts[math.random(1, #starts)]
    return wrk.format("POST", nil, headers, prefix .. "&start=" .. start .. "&key=" .. token())
  end
  if cookie then
    headers["Cookie"] = cookie  -- a signed-in coordinator's desk session
  end
  return wrk.format("GET", nil, headers, nil)
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "p50": %d, "p95": %d, "p99": %d, "errors": %d, "non2xx3xx": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
