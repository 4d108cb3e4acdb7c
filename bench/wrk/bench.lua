-- One wrk script for every figure of bench/run, configured from the environment:
--   BENCH_PATHS_FILE  a file with one request path (or absolute URL path) per line; requests
--                     rotate through them, each thread starting at a different place
--   BENCH_METHOD      GET (default) or POST
--   BENCH_AUTH        the value of the Authorization header, if any
--   BENCH_BODY_FILE   a prebuilt request body (read once, in each thread's init)
--   BENCH_CONTENT_TYPE  the Content-Type of that body
--   BENCH_ONCE=1      each path once, in order, shared out between the threads (thread i of
--                     BENCH_THREADS takes paths i, i + BENCH_THREADS, …): for requests that
--                     change what they name (a transition), so that no two threads send the same
--                     one; past the end of its share a thread starts over (the repeats answer 4xx
--                     and are counted as such)
-- At the end it prints one line, "BENCHJSON {...}", that bench/run parses.

local paths = {}
local requests = {}
local counter = 0

local function read_file(name)
  local f = assert(io.open(name, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
end

function init(args)
  local paths_file = os.getenv("BENCH_PATHS_FILE")
  for line in io.lines(paths_file) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  assert(#paths > 0, "no paths in " .. paths_file)

  local method = os.getenv("BENCH_METHOD") or "GET"
  local headers = {}
  local auth = os.getenv("BENCH_AUTH")
  if auth and auth ~= "" then
    headers["Authorization"] = auth
  end
  local body = nil
  local body_file = os.getenv("BENCH_BODY_FILE")
  if body_file and body_file ~= "" then
    body = read_file(body_file)
    headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")
  end

  -- Prebuild the raw requests once (wrk.format per request would copy a 10 MB body each time);
  -- keep at most 64 MiB of them per thread.
  local size = 256 + (body and #body or 0)
  local n = math.max(1, math.min(#paths, math.floor(64 * 1024 * 1024 / size)))
  if os.getenv("BENCH_ONCE") == "1" then
    local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
    for i = thread_index or 1, #paths, threads do
      requests[#requests + 1] = wrk.format(method, paths[i], headers, body)
    end
    assert(#requests > 0, "no paths for thread " .. tostring(thread_index))
    counter = -1
    return
  end
  for i = 1, n do
    requests[i] = wrk.format(method, paths[i], headers, body)
  end
  counter = (thread_index or 0) * 7919
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function done(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"rps":%.2f,' ..
    '"p50_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
