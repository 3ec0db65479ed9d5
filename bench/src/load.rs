//! The load benchmark: every server started once and kept running, warmed up, then loaded
//! in rounds where the servers take turns (the order rotates each round), so that a slow
//! patch of a noisy machine hits all of them alike.

use std::path::PathBuf;
use std::time::Duration;

use crate::process::{Pinning, Server, free_addr};
use crate::servers::{Installed, ServerKind};
use crate::wrk::{Sample, WrkLoad, run_wrk_load};
use crate::{RequestBody, Result, http, target_dir, tools};

/// How hard and how long each server is loaded.
#[derive(Clone, Copy, Debug)]
pub struct LoadSettings {
    /// Open connections, each sending its next request as soon as the last one is answered.
    pub connections: u32,
    /// How long one measured run lasts.
    pub duration: Duration,
    /// An unmeasured run before the rounds, to warm caches, JITs and connection pools.
    pub warmup: Duration,
    /// How many measured runs each server gets; the servers take turns within a round.
    pub rounds: u32,
    /// Whether every request comes on a new connection (`Connection: close`), as from a
    /// caller that does not keep connections alive.
    pub new_connection_per_request: bool,
    /// The order body sent.
    pub body: RequestBody,
}
/// What one server did over all rounds.
#[derive(Clone, Debug)]
pub struct ServerResult {
    /// Which server.
    pub kind: ServerKind,
    /// One sample per round, in round order.
    pub samples: Vec<Sample>,
    /// The peak resident memory of all its processes over the whole run.
    pub peak_rss_bytes: u64,
}

/// Starts `servers`, checks each answers the order correctly, and loads them.
pub fn run(
    servers: &[ServerKind],
    settings: LoadSettings,
    pinning: Pinning,
) -> Result<Vec<ServerResult>> {
    tools::ensure_wrk()?;
    let installed = Installed::prepare(servers)?;
    let work = target_dir().join("bench").join("load");
    let mut running = Vec::new();
    for &kind in servers {
        running.push(Running::start(
            kind,
            &installed,
            pinning,
            &work,
            settings.body,
        )?);
    }
    if !settings.warmup.is_zero() {
        for server in &running {
            eprintln!("warming up {}", server.kind.label());
            server.load(pinning, settings, settings.warmup)?;
        }
    }
    let mut samples = vec![Vec::new(); running.len()];
    for round in 0..settings.rounds {
        for offset in 0..running.len() {
            let index = (offset + round as usize) % running.len();
            let server = &running[index];
            let sample = server.load(pinning, settings, settings.duration)?;
            eprintln!(
                "round {}/{}: {:<28} {:>9.0} req/s  p50 {:>6} us  p99 {:>6} us",
                round + 1,
                settings.rounds,
                server.kind.label(),
                sample.requests_per_second(),
                sample.p50_us,
                sample.p99_us
            );
            samples[index].push(sample);
        }
    }
    let mut results = Vec::new();
    for (server, samples) in running.iter().zip(samples) {
        // The answer must still be right after the load, not only before it.
        server.check()?;
        results.push(ServerResult {
            kind: server.kind,
            samples,
            peak_rss_bytes: server.process.peak_rss_bytes(),
        });
    }
    Ok(results)
}

/// A started server with what it is sent.
struct Running {
    kind: ServerKind,
    process: Server,
    addr: std::net::SocketAddr,
    body: String,
    body_file: PathBuf,
}

impl Running {
    fn start(
        kind: ServerKind,
        installed: &Installed,
        pinning: Pinning,
        work: &std::path::Path,
        request: RequestBody,
    ) -> Result<Self> {
        let addr = free_addr()?;
        let body = kind.body(request)?;
        let slug = kind.slug();
        let body_file = work.join(format!("{slug}-{}.json", request.slug()));
        tools::write(&body_file, &body)?;
        let log = work.join(format!("{slug}.log"));
        eprintln!(
            "starting {} on {addr} (log: {})",
            kind.label(),
            log.display()
        );
        let mut process =
            Server::start(kind.label(), kind.command(installed, pinning, addr)?, &log)?;
        // Rasa's action server takes several seconds to import its dependencies.
        process.wait_ready(Duration::from_secs(90), || check_answer(kind, addr, &body))?;
        Ok(Running {
            kind,
            process,
            addr,
            body,
            body_file,
        })
    }

    fn check(&self) -> Result<()> {
        check_answer(self.kind, self.addr, &self.body)
    }

    fn load(&self, pinning: Pinning, settings: LoadSettings, duration: Duration) -> Result<Sample> {
        let sample = run_wrk_load(
            pinning,
            self.addr,
            self.kind.path(),
            &self.body_file,
            WrkLoad {
                connections: settings.connections,
                duration,
                new_connection_per_request: settings.new_connection_per_request,
            },
        )?;
        if sample.failures() > 0 || sample.requests == 0 {
            return Err(format!(
                "{} failed under load: {} requests, {} connect / {} read / {} write errors, \
                 {} timeouts, {} answers outside 2xx",
                self.kind.label(),
                sample.requests,
                sample.connect_errors,
                sample.read_errors,
                sample.write_errors,
                sample.timeouts,
                sample.bad_status
            ));
        }
        Ok(sample)
    }
}

/// Sends `body` to the server of `kind` at `addr` and checks its answer.
fn check_answer(kind: ServerKind, addr: std::net::SocketAddr, body: &str) -> Result<()> {
    let answer = http::post_json(addr, kind.path(), body)?;
    kind.check(&answer)
}
