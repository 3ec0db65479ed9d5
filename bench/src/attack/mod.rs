//! The attack harness: what one machine can do to the quickstart's release binary and to the
//! `embed-axum` example's (steps inside a host axum app, on the framework's `Server`), and
//! whether each server stays available (`chatlayer-bench -- attack`; its short form runs in
//! the smoke run, so in CI).
//!
//! | attack | target |
//! |---|---|
//! | silent connections, past the connection bound and past a low file limit | every probe answered (`/healthz` and `/order`) |
//! | bodies trickled a byte a second, over HTTP/1 and HTTP/2 | every valid order served |
//! | SIGTERM under wrk's keep-alive load | no request without an answer |
//! | strangers (no or wrong credentials, every method) against a guarded, recording server | every one answered 401, none recorded |
//! | floods of large bodies against a recording server, its folder empty or full | peak memory within the recording's memory bound of the same flood unrecorded |
//!
//! Every scenario starts a fresh server, and a missed target fails the run.

mod probe;
mod recording;
mod shutdown;
mod silent;
mod slow;
mod target;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::machine;
use crate::process::{Pinning, Server, free_addr};
pub(crate) use crate::process::{raise_open_files_limit, runtime};
use crate::report::thousands;
use crate::{Result, http, target_dir, tools};

pub use silent::hold;
pub use target::Target;

/// How hard to attack.
#[derive(Clone, Copy, Debug)]
pub struct AttackSettings {
    /// Silent connections against the default file limit.
    pub silent: usize,
    /// Silent connections one attacker process holds at most (its own file limit).
    pub per_helper: usize,
    /// The low file limit of the second silent run, and the connections against it.
    pub low_limit: (u64, usize),
    /// How long silent connections are held while probed.
    pub silent_hold: Duration,
    /// HTTP/1 connections trickling bodies.
    pub slow_http1: usize,
    /// HTTP/2 connections, and streams tried on each, trickling bodies.
    pub slow_http2: (usize, usize),
    /// How long the bodies trickle while probed.
    pub slow_hold: Duration,
    /// wrk's connections at SIGTERM, the run's length, and when the signal comes.
    pub shutdown: (u32, Duration, Duration),
    /// Requests strangers send to a guarded, recording server.
    pub strangers: usize,
    /// Bodies sent at once to a recording server, and their length.
    pub record_flood: (usize, usize),
}

impl AttackSettings {
    /// The full run, as the findings were made.
    pub const FULL: AttackSettings = AttackSettings {
        silent: 20_000,
        per_helper: 10_000,
        low_limit: (1_024, 1_100),
        silent_hold: Duration::from_secs(5),
        slow_http1: 1_030,
        // More streams than the steps' 1,024 permits even at 64 streams per connection.
        slow_http2: (20, 200),
        slow_hold: Duration::from_secs(9),
        shutdown: (512, Duration::from_secs(8), Duration::from_secs(3)),
        strangers: 1_000,
        record_flood: (1_000, 1024 * 1024),
    };

    /// The short run of CI: the same attacks, shorter and smaller. The flood under a file
    /// limit of 1,024, the 1,030 slow HTTP/1 bodies and the 1,600 HTTP/2 streams still
    /// exceed what the server allowed before Hardening II (1,024 open files, 1,024 requests
    /// at once, 200 streams per connection), and 128 connections at SIGTERM each lost a
    /// request then: the short form catches a regression too (`--short --binary OLD`).
    pub const SHORT: AttackSettings = AttackSettings {
        silent: 2_000,
        per_helper: 10_000,
        low_limit: (1_024, 1_100),
        // Longer than a probe's deadline: a probe queued behind the flood must not be
        // answered merely because the flood ended first.
        silent_hold: Duration::from_secs(5),
        slow_http1: 1_030,
        slow_http2: (8, 200),
        slow_hold: Duration::from_secs(3),
        shutdown: (128, Duration::from_secs(4), Duration::from_secs(2)),
        // Past a 50-file cap many times over, and bodies beyond the 64 MiB in transit.
        strangers: 300,
        record_flood: (300, 1024 * 1024),
    };
}

/// One line of the report.
struct Finding {
    attack: String,
    target: &'static str,
    result: String,
    met: bool,
}

/// Runs every attack against each target (the quickstart, the embedded example, or any
/// server on `CHATLAYER_ADDR` answering a target's step), and returns the report
/// (Markdown). Fails when a target is missed, after writing the report.
pub fn run(
    settings: AttackSettings,
    targets: &[Target],
    pinning: Pinning,
    report: &Path,
) -> Result<String> {
    raise_open_files_limit();
    let mut findings = Vec::new();
    for target in targets {
        findings.extend(attack(settings, target, pinning)?);
    }
    let markdown = markdown(&findings, targets);
    tools::write(report, &markdown)?;
    let missed: Vec<&str> = findings
        .iter()
        .filter(|finding| !finding.met)
        .map(|finding| finding.attack.as_str())
        .collect();
    if missed.is_empty() {
        Ok(markdown)
    } else {
        Err(format!(
            "attack targets missed: {}\n\n{markdown}",
            missed.join("; ")
        ))
    }
}

/// Every attack against `target`, each on a fresh server.
fn attack(settings: AttackSettings, target: &Target, pinning: Pinning) -> Result<Vec<Finding>> {
    let log_dir = target_dir().join("bench").join("attack").join(target.name);
    let mut findings = Vec::new();

    // 1. Silent connections, at this machine's file limit and at a low one.
    for (limit, connections) in [
        (None, settings.silent),
        (Some(settings.low_limit.0), settings.low_limit.1),
    ] {
        let (mut server, addr) = start(target, limit, &[], &log_dir, "silent")?;
        let result = silent::run(
            addr,
            target,
            connections,
            settings.per_helper,
            settings.silent_hold,
        )?;
        let alive = still_serving(&mut server, target, addr);
        let limit = limit.map_or("this machine's file limit".to_owned(), |limit| {
            format!("a file limit of {}", count(limit as usize))
        });
        findings.push(Finding {
            attack: format!(
                "{} silent connections ({} opened, {} not) under {limit}",
                count(connections),
                count(result.opened),
                count(result.failed)
            ),
            target: "every probe answered",
            result: result.probes.describe(),
            met: result.probes.all_answered() && alive,
        });
    }

    // 2. Slow bodies over HTTP/1 and HTTP/2.
    let (mut server, addr) = start(target, None, &[], &log_dir, "slow-http1")?;
    let result = slow::http1(addr, target, settings.slow_http1, settings.slow_hold)?;
    let alive = still_serving(&mut server, target, addr);
    findings.push(Finding {
        attack: format!(
            "{} HTTP/1 bodies trickled a byte a second",
            count(result.trickling)
        ),
        target: "every valid order served",
        result: result.probes.describe(),
        met: result.probes.all_answered() && alive,
    });
    let (mut server, addr) = start(target, None, &[], &log_dir, "slow-http2")?;
    let (connections, streams) = settings.slow_http2;
    let result = slow::http2(addr, target, connections, streams, settings.slow_hold)?;
    let alive = still_serving(&mut server, target, addr);
    findings.push(Finding {
        attack: format!(
            "{} HTTP/2 streams tried on {connections} connections, {} admitted by the server's \
             stream limit and trickled a byte a second",
            count(result.trickling + result.refused),
            count(result.trickling)
        ),
        target: "every valid order served",
        result: result.probes.describe(),
        met: result.probes.all_answered() && alive,
    });

    // 3. SIGTERM under load.
    let (mut server, addr) = start(target, None, &[], &log_dir, "shutdown")?;
    let body_file = tools::tools_dir().join(format!("{}-request.json", target.name));
    tools::write(&body_file, target.body)?;
    let (connections, _, signal_at) = settings.shutdown;
    let result = shutdown::run(
        &mut server,
        addr,
        (target.step, &body_file),
        pinning,
        settings.shutdown,
    )?;
    findings.push(Finding {
        attack: format!(
            "SIGTERM after {} s of wrk on {connections} keep-alive connections",
            signal_at.as_secs(),
        ),
        target: "0 requests without an answer",
        result: format!(
            "{} answered, {} without an answer (read errors {}, timeouts {}, non-2xx {}); \
             {} connections refused after the listener closed; {}",
            count(result.sample.requests as usize),
            result.unanswered(),
            result.sample.read_errors,
            result.sample.timeouts,
            result.sample.bad_status,
            count(result.refused() as usize),
            if result.clean_exit {
                "clean exit"
            } else {
                "the server did not exit cleanly"
            }
        ),
        met: result.unanswered() == 0 && result.clean_exit,
    });

    findings.extend(attack_recording(settings, target, &log_dir)?);

    for finding in &mut findings {
        finding.attack = format!("{}: {}", target.name, finding.attack);
    }
    Ok(findings)
}

/// 4. Strangers against a guarded, recording server; 5. floods against recording servers.
fn attack_recording(
    settings: AttackSettings,
    target: &Target,
    log_dir: &Path,
) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let dir = recording::folder(target, "strangers");
    let env = [
        ("CHATLAYER_RECORD", dir.display().to_string()),
        ("CHATLAYER_RECORD_MAX_FILES", "50".to_owned()),
        ("CHATLAYER_BEARER_TOKEN", recording::TOKEN.to_owned()),
    ];
    let (mut server, addr) = start(target, None, &env, log_dir, "strangers")?;
    let result = recording::strangers(target, addr, &dir, settings.strangers)?;
    let alive = server.wait_exit(Duration::ZERO).is_none();
    findings.push(Finding {
        attack: format!(
            "{} requests without credentials (every method{}) against a server requiring a \
             token and recording into a folder of at most 50 files",
            count(result.sent),
            if target.unknown.is_some() {
                ", the step's path and an unknown one"
            } else {
                ""
            }
        ),
        target: "every one answered 401, none recorded",
        result: result.describe(),
        met: result.met() && alive,
    });
    server.stop();

    let (clients, bytes) = settings.record_flood;
    let at_cap = recording::folder(target, "flood-full");
    let _ = std::fs::create_dir_all(&at_cap);
    tools::write(&at_cap.join("earlier.json"), "{}")?;
    let runs: [(&str, Vec<(&str, String)>); 3] = [
        ("not recording", vec![]),
        (
            "recording into an empty folder",
            vec![(
                "CHATLAYER_RECORD",
                recording::folder(target, "flood").display().to_string(),
            )],
        ),
        (
            "recording into a full folder",
            vec![
                ("CHATLAYER_RECORD", at_cap.display().to_string()),
                ("CHATLAYER_RECORD_MAX_FILES", "1".to_owned()),
            ],
        ),
    ];
    let mut unrecorded_peak = 0;
    for (how, env) in runs {
        let (mut server, addr) = start(target, None, &env, log_dir, "record-flood")?;
        let flooded = recording::flood_bodies(&server, target, addr, clients, bytes)?;
        let alive = still_serving(&mut server, target, addr);
        server.stop();
        if env.is_empty() {
            unrecorded_peak = flooded.peak;
            continue;
        }
        // The bound (32 MiB by default), and as much again for what the allocator keeps
        // around the copies.
        let allowed = unrecorded_peak + 2 * 32 * 1024 * 1024;
        findings.push(Finding {
            attack: format!(
                "{} bodies of {} at once, {how}",
                count(clients),
                recording::mib(bytes as u64)
            ),
            target: "peak memory within twice the recording's 32 MiB bound of the same flood unrecorded",
            result: format!(
                "peak {} against {} unrecorded; answers {}",
                recording::mib(flooded.peak),
                recording::mib(unrecorded_peak),
                flooded.answers.join(", ")
            ),
            met: flooded.peak <= allowed && alive,
        });
    }
    Ok(findings)
}

/// `20000` as `20,000`.
fn count(value: usize) -> String {
    thousands(value as f64)
}

fn markdown(findings: &[Finding], targets: &[Target]) -> String {
    let servers: Vec<String> = targets
        .iter()
        .map(|target| {
            format!(
                "{} (probed with `GET {}` and `POST {}`)",
                target.name, target.health, target.step
            )
        })
        .collect();
    let mut text = format!(
        "#### The attacks\n\nOne client machine against release binaries on the same machine \
         ({}; `cargo run --release -p chatlayer-bench -- attack`): {}. A fresh server per \
         attack, probed while the attack is in place on fresh connections every 100 ms.\n\n\
         | Attack | Target | Result | Met |\n|---|---|---|---|\n",
        machine::hardware_line(),
        servers.join("; ")
    );
    for finding in findings {
        text.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            finding.attack,
            finding.target,
            finding.result,
            if finding.met { "yes" } else { "**no**" }
        ));
    }
    text
}

/// Starts `target` on a free port, with `limit` open files when given and `env` set, and
/// waits until it answers: its step, or (when `env` asks for a token) its health probe.
fn start(
    target: &Target,
    limit: Option<u64>,
    env: &[(&str, String)],
    log_dir: &Path,
    name: &str,
) -> Result<(Server, SocketAddr)> {
    let addr = free_addr()?;
    let mut command = match limit {
        Some(limit) => {
            let mut command = Command::new("prlimit");
            command
                .arg(format!("--nofile={limit}:{limit}"))
                .arg("--")
                .arg(&target.binary);
            command
        }
        None => Command::new(&target.binary),
    };
    command
        .env("CHATLAYER_ADDR", addr.to_string())
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(name, value)| (name, value)));
    let log = log_dir.join(format!("{name}.log"));
    let _ = std::fs::create_dir_all(log_dir);
    let mut server = Server::start(&format!("{} ({name})", target.name), command, &log)?;
    let guarded = env
        .iter()
        .any(|(name, _)| *name == "CHATLAYER_BEARER_TOKEN");
    server.wait_ready(Duration::from_secs(20), || {
        if guarded {
            let answer = http::get(addr, target.health)?;
            (answer.status == 200)
                .then_some(())
                .ok_or_else(|| format!("{} answered HTTP {}", target.health, answer.status))
        } else {
            call_step(target, addr)
        }
    })?;
    Ok((server, addr))
}

/// Whether the server is still running and answering its step after an attack.
fn still_serving(server: &mut Server, target: &Target, addr: SocketAddr) -> bool {
    server.wait_exit(Duration::ZERO).is_none() && call_step(target, addr).is_ok()
}

/// Calls `target`'s step: `Ok` when it is answered 200 with the step's own reply.
fn call_step(target: &Target, addr: SocketAddr) -> Result<()> {
    let answer = http::post_json(addr, target.step, target.body)?;
    if answer.status == 200 && String::from_utf8_lossy(&answer.body).contains(target.answers) {
        Ok(())
    } else {
        Err(format!("{} answered HTTP {}", target.step, answer.status))
    }
}
