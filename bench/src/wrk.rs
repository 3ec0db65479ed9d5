//! One `wrk` run against one server, with fixed connections and duration, and its
//! summary (printed by `bench/wrk/post.lua` as one JSON line) read back.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::process::Pinning;
use crate::tools::run;
use crate::{Result, tools};

/// What `wrk` measured in one run.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
pub struct Sample {
    /// Requests completed.
    pub requests: u64,
    /// The run's real length, in microseconds.
    pub duration_us: u64,
    /// Connections that could not be opened.
    pub connect_errors: u64,
    /// Socket read errors.
    pub read_errors: u64,
    /// Socket write errors.
    pub write_errors: u64,
    /// Requests that timed out (wrk's default timeout is 2 s).
    pub timeouts: u64,
    /// Answers with a status outside 2xx and 3xx.
    pub bad_status: u64,
    /// Median latency, in microseconds.
    pub p50_us: u64,
    /// 90th percentile latency, in microseconds.
    pub p90_us: u64,
    /// 99th percentile latency, in microseconds.
    pub p99_us: u64,
    /// Slowest request, in microseconds.
    pub max_us: u64,
    /// Mean latency, in microseconds.
    pub mean_us: f64,
}

impl Sample {
    /// Requests per second over the run.
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }

    /// Every kind of failure, summed: a correct run has none.
    pub fn failures(&self) -> u64 {
        self.connect_errors + self.read_errors + self.write_errors + self.timeouts + self.bad_status
    }
}

/// The summary line the script prints, parsed.
pub fn parse_wrk_output(stdout: &str) -> Result<Sample> {
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BENCH_RESULT "))
        .ok_or_else(|| format!("wrk printed no BENCH_RESULT line:\n{stdout}"))?;
    serde_json::from_str(line).map_err(|error| format!("cannot read wrk's summary {line}: {error}"))
}

/// How `wrk` loads a server.
#[derive(Clone, Copy, Debug)]
pub struct WrkLoad {
    /// Open connections, each sending its next request once the last one is answered.
    pub connections: u32,
    /// How long.
    pub duration: Duration,
    /// Whether each request says `Connection: close`, so that wrk opens a new connection
    /// for the next one.
    pub new_connection_per_request: bool,
}

/// Loads `http://addr{path}` with POSTs of the body in `body_file` for `duration`, on
/// kept-alive connections.
pub fn run_wrk(
    pinning: Pinning,
    addr: SocketAddr,
    path: &str,
    body_file: &Path,
    connections: u32,
    duration: Duration,
) -> Result<Sample> {
    let load = WrkLoad {
        connections,
        duration,
        new_connection_per_request: false,
    };
    run_wrk_load(pinning, addr, path, body_file, load)
}

/// Loads `http://addr{path}` with POSTs of the body in `body_file`, as `load` says.
pub fn run_wrk_load(
    pinning: Pinning,
    addr: SocketAddr,
    path: &str,
    body_file: &Path,
    load: WrkLoad,
) -> Result<Sample> {
    let WrkLoad {
        connections,
        duration,
        new_connection_per_request,
    } = load;
    let script = tools::tools_dir().join("post.lua");
    tools::write(&script, include_str!("../wrk/post.lua"))?;
    // One wrk thread: with the load generator on one core, more threads only contend.
    let seconds = duration.as_secs_f64().ceil().max(1.0) as u64;
    let stdout = run(
        "run wrk",
        pinning
            .load_command("wrk")
            .args(["-t1", "--latency"])
            .arg(format!("-c{connections}"))
            .arg(format!("-d{seconds}s"))
            .args(if new_connection_per_request {
                &["-H", "Connection: close"][..]
            } else {
                &[]
            })
            .arg("-s")
            .arg(&script)
            .arg(format!("http://{addr}{path}"))
            .env("BENCH_BODY_FILE", body_file),
    )?;
    parse_wrk_output(&stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_summary_line_among_wrks_own_output() {
        let stdout = "Running 1s test @ http://127.0.0.1:1/order\n  1 threads and 8 connections\n\
            BENCH_RESULT {\"requests\":5000,\"duration_us\":2000000,\"connect_errors\":0,\
            \"read_errors\":0,\"write_errors\":0,\"timeouts\":0,\"bad_status\":2,\"p50_us\":90,\
            \"p90_us\":150,\"p99_us\":400,\"max_us\":900,\"mean_us\":101.5}\n";
        let sample = parse_wrk_output(stdout).unwrap();
        assert_eq!(sample.requests_per_second(), 2500.0);
        assert_eq!(
            (sample.p50_us, sample.p99_us, sample.failures()),
            (90, 400, 2)
        );
        assert!(
            parse_wrk_output("Running 1s test")
                .unwrap_err()
                .contains("BENCH_RESULT")
        );
    }
}
