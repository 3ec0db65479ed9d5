//! Finding 3: SIGTERM under load. wrk loads the server on many keep-alive connections; the
//! server gets SIGTERM in the middle; no request may be left without an answer: a request
//! sent and met by a close is a read error in wrk, one never answered a timeout, one
//! refused a status other than 2xx. Connections refused once the server has stopped
//! accepting are counted apart: wrk reconnects without blocking and counts a refused
//! connection as a write error (its request was never sent, and the client knows at once).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::Result;
use crate::process::{Pinning, Server};
use crate::wrk::{Sample, run_wrk};

/// One run of the shutdown test.
#[derive(Clone, Debug)]
pub struct ShutdownResult {
    /// What wrk saw.
    pub sample: Sample,
    /// Whether the server exited by itself, with success, after the signal.
    pub clean_exit: bool,
}

impl ShutdownResult {
    /// Requests sent and never answered.
    pub fn unanswered(&self) -> u64 {
        self.sample.read_errors + self.sample.timeouts + self.sample.bad_status
    }

    /// Connections refused once the server stopped accepting.
    pub fn refused(&self) -> u64 {
        self.sample.connect_errors + self.sample.write_errors
    }
}

/// Loads `server` at `addr` (wrk posting `body_file` to `step`) with `connections` for
/// `run`, sending SIGTERM after `signal_at`.
pub fn run(
    server: &mut Server,
    addr: SocketAddr,
    (step, body_file): (&'static str, &Path),
    pinning: Pinning,
    (connections, run, signal_at): (u32, Duration, Duration),
) -> Result<ShutdownResult> {
    let body_file = body_file.to_path_buf();
    let load =
        std::thread::spawn(move || run_wrk(pinning, addr, step, &body_file, connections, run));
    std::thread::sleep(signal_at);
    server.terminate()?;
    let sample = load.join().map_err(|_| "the wrk thread panicked")??;
    let clean_exit = server
        .wait_exit(Duration::from_secs(30))
        .is_some_and(|status| status.success());
    Ok(ShutdownResult { sample, clean_exit })
}
