-- wrk script of the chatlayer-rs benchmark: POSTs the JSON body in the file named by
-- BENCH_BODY_FILE, and prints one machine-readable summary line when the run is done.
local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "BENCH_RESULT {\"requests\":%d,\"duration_us\":%d,\"connect_errors\":%d,\"read_errors\":%d," ..
    "\"write_errors\":%d,\"timeouts\":%d,\"bad_status\":%d,\"p50_us\":%d,\"p90_us\":%d," ..
    "\"p99_us\":%d,\"max_us\":%d,\"mean_us\":%.1f}\n",
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.timeout, errors.status, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
