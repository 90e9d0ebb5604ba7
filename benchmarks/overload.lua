-- wrk script for benchmarks/bench_overload.py: one endpoint under many connections, counting 5xx.
-- LUCID_METHOD, LUCID_PATH: the request; LUCID_AUTH: an Authorization header value (optional);
-- LUCID_API_KEY and LUCID_TOKENS (a file of consent tokens): a decision body rotating over the tokens.
-- LUCID_DELAY_MS paces each connection (0: unpaced). Prints one JSON summary line.
local method = os.getenv("LUCID_METHOD") or "GET"
local path = os.getenv("LUCID_PATH") or "/v1/me"
local auth = os.getenv("LUCID_AUTH") or ""
local api_key = os.getenv("LUCID_API_KEY") or ""
local product = os.getenv("LUCID_PRODUCT") or "deposit_free_rental"
local delay_ms = tonumber(os.getenv("LUCID_DELAY_MS") or "0") or 0
local tokens = {}
local tokens_file = os.getenv("LUCID_TOKENS") or ""
if tokens_file ~= "" then
  for line in io.lines(tokens_file) do tokens[#tokens + 1] = line end
end
local threads = {}

setup = function(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

init = function(args)
  i = 0
  statuses = {}
end

request = function()
  local headers = {}
  if auth ~= "" then headers["Authorization"] = auth end
  if #tokens > 0 then
    i = i % #tokens + 1
    headers["Content-Type"] = "application/json"
    headers["X-API-Key"] = api_key
    local body = '{"consent_token":"' .. tokens[i] .. '","product":"' .. product .. '"}'
    return wrk.format(method, path, headers, body)
  end
  return wrk.format(method, path, headers)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

if delay_ms > 0 then
  delay = function() return delay_ms end
end

done = function(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for status, n in pairs(s) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do parts[#parts + 1] = string.format('"%d": %d', status, n) end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "statuses": {%s}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
