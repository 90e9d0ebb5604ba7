-- wrk script for benchmarks/bench_api.py: POST a decision (or any path) with a rotating consent token,
-- optionally paced (each connection waits LUCID_DELAY_MS after every response), and print a JSON summary.
local tokens = {}
local i = 0
local api_key = os.getenv("LUCID_API_KEY") or ""
local product = os.getenv("LUCID_PRODUCT") or "deposit_free_rental"
local path = os.getenv("LUCID_PATH") or "/v1/decisions"
local delay_ms = tonumber(os.getenv("LUCID_DELAY_MS") or "0") or 0
for line in io.lines(os.getenv("LUCID_TOKENS")) do
  tokens[#tokens + 1] = line
end

request = function()
  i = i % #tokens + 1
  local body = '{"consent_token":"' .. tokens[i] .. '","product":"' .. product .. '"}'
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["X-API-Key"] = api_key}, body)
end

if delay_ms > 0 then
  delay = function()
    return delay_ms
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
