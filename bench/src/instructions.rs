//! Instructions per request, server included: each Rust server runs under valgrind's
//! callgrind while `wrk` loads it; the counters are zeroed after a warm-up and dumped after
//! the measured run, and the instructions counted in between, divided by the requests `wrk`
//! saw answered, are the cost of one request: the HTTP server, the router, the step and
//! everything the process did meanwhile (the log writer thread included).
//!
//! Unlike requests per second, the count repeats from run to run whatever else the machine
//! does, so it is the figure to steer by; the ratio to the baseline is the one to read.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::load::LoadSettings;
use crate::process::{Pinning, Server, free_addr};
use crate::servers::{Installed, ServerKind};
use crate::wrk::run_wrk;
use crate::{RequestBody, Result, http, target_dir, tools};

/// The servers counted: the framework as it ships, quiet, and the two baselines.
pub const SERVERS: [ServerKind; 4] = [
    ServerKind::Framework,
    ServerKind::FrameworkQuiet,
    ServerKind::Baseline,
    ServerKind::BaselineLogging,
];

/// The bodies each is counted with: what Chatlayer sends first.
pub const BODIES: [RequestBody; 2] = [RequestBody::Chatlayer, RequestBody::Minimal];

/// Connections while counting: enough to keep the slowed-down server busy.
const CONNECTIONS: u32 = 8;

/// One server's count.
#[derive(Clone, Copy, Debug)]
pub struct Count {
    /// Which server.
    pub kind: ServerKind,
    /// The body it was sent.
    pub body: RequestBody,
    /// Requests answered while counting.
    pub requests: u64,
    /// Instructions per request.
    pub per_request: f64,
}

/// Counts the instructions per request of each of `servers`, loaded for `settings`'
/// warm-up and duration.
pub fn run(servers: &[ServerKind], settings: LoadSettings, pinning: Pinning) -> Result<Vec<Count>> {
    tools::ensure_wrk()?;
    tools::ensure_debian_program("valgrind", "valgrind")?;
    let installed = Installed::prepare(servers)?;
    let work = target_dir().join("bench").join("instructions");
    std::fs::create_dir_all(&work)
        .map_err(|error| format!("cannot create {}: {error}", work.display()))?;
    let mut counts = Vec::new();
    for body in BODIES {
        for &kind in servers {
            counts.push(count(kind, body, &installed, settings, pinning, &work)?);
        }
    }
    Ok(counts)
}

fn count(
    kind: ServerKind,
    request: RequestBody,
    installed: &Installed,
    settings: LoadSettings,
    pinning: Pinning,
    work: &Path,
) -> Result<Count> {
    let addr = free_addr()?;
    let slug = format!("{}-{}", kind.slug(), request.slug());
    let out = work.join(format!("{slug}.callgrind"));
    let _ = std::fs::remove_file(dump_of(&out));
    // The server's own command, unpinned, run by valgrind on the server's CPU.
    let own = kind.command(installed, Pinning::None, addr)?;
    let mut command = pinning.server_command("valgrind");
    command
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(own.get_program())
        .args(own.get_args());
    for (name, value) in own.get_envs() {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    let body = kind.body(request)?;
    let body_file = work.join(format!("{slug}.json"));
    tools::write(&body_file, &body)?;
    eprintln!(
        "counting the instructions of {} under callgrind, {} body",
        kind.label(),
        request.slug()
    );
    let mut server = Server::start(kind.label(), command, &work.join(format!("{slug}.log")))?;
    server.wait_ready(Duration::from_secs(120), || {
        kind.check(&http::post_json(addr, kind.path(), &body)?)
    })?;
    let load = |duration| {
        run_wrk(
            pinning,
            addr,
            kind.path(),
            &body_file,
            CONNECTIONS,
            duration,
        )
    };
    load(settings.warmup.max(Duration::from_secs(1)))?;
    callgrind_control(&["-z"], server.pid())?;
    let sample = load(settings.duration)?;
    callgrind_control(&["-d"], server.pid())?;
    let instructions = read_total(&dump_of(&out))?;
    server.terminate()?;
    server.wait_exit(Duration::from_secs(30));
    if sample.failures() > 0 || sample.requests == 0 {
        return Err(format!(
            "{} failed under callgrind: {} requests, {} failures",
            kind.label(),
            sample.requests,
            sample.failures()
        ));
    }
    Ok(Count {
        kind,
        body: request,
        requests: sample.requests,
        per_request: instructions as f64 / sample.requests as f64,
    })
}

/// The file `callgrind_control -d` writes for the output file `out`.
fn dump_of(out: &Path) -> PathBuf {
    PathBuf::from(format!("{}.1", out.display()))
}

fn callgrind_control(args: &[&str], pid: u32) -> Result<()> {
    tools::run(
        "run callgrind_control",
        Command::new("callgrind_control")
            .args(args)
            .arg(pid.to_string()),
    )
    .map(drop)
}

/// The instructions a dump counted (its `summary:` line), once it is written.
fn read_total(dump: &Path) -> Result<u64> {
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(dump)
            && text.contains("\ntotals:")
        {
            return parse_summary(&text)
                .ok_or_else(|| format!("{} has no summary line", dump.display()));
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!("callgrind wrote no dump at {}", dump.display()));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn parse_summary(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("summary:"))
        .and_then(|count| count.trim().parse().ok())
}

/// The README's section: per body, a table against both baselines, and the targets.
pub fn markdown(counts: &[Count], settings: LoadSettings) -> String {
    let mut text = format!(
        "### Instructions per request\n\n\
         Each Rust server under valgrind's callgrind, loaded by `wrk` with {CONNECTIONS} \
         connections: counters zeroed after {} s of warm-up, dumped after {} s; the \
         instructions of the whole process (HTTP server, router, step, log writer thread) \
         divided by the requests answered. These counts repeat from run to run; the \
         requests/s above swing with the machine. Two baselines: the hand-written step \
         logging nothing, and the same step logging as axum apps usually do \
         (`TraceLayer` and a fmt subscriber at `info`, a line per request, as the framework \
         writes its access line).\n",
        settings.warmup.max(Duration::from_secs(1)).as_secs(),
        settings.duration.as_secs()
    );
    for body in BODIES {
        let of = |kind: ServerKind| {
            counts
                .iter()
                .find(|count| count.kind == kind && count.body == body)
        };
        let (Some(baseline), logging) = (of(ServerKind::Baseline), of(ServerKind::BaselineLogging))
        else {
            continue;
        };
        let _ = write!(
            text,
            "\n**{}**\n\n\
             | Server | Requests counted | Instructions per request | vs baseline | vs logging baseline |\n\
             |---|---:|---:|---:|---:|\n",
            capitalized(&body.describe())
        );
        for count in counts.iter().filter(|count| count.body == body) {
            let _ = writeln!(
                text,
                "| {} | {} | {} | {:.3} | {} |",
                count.kind.label(),
                crate::report::thousands(count.requests as f64),
                crate::report::thousands(count.per_request),
                count.per_request / baseline.per_request,
                logging.map_or("–".to_owned(), |logging| format!(
                    "{:.3}",
                    count.per_request / logging.per_request
                )),
            );
        }
        if body != RequestBody::Chatlayer {
            continue;
        }
        text.push('\n');
        for (kind, target, what) in [
            (ServerKind::Framework, 1.05, "as shipped"),
            (
                ServerKind::FrameworkQuiet,
                0.95,
                "quiet (logs at warn, no metrics)",
            ),
        ] {
            if let Some(count) = of(kind) {
                let ratio = count.per_request / baseline.per_request;
                let _ = writeln!(
                    text,
                    "- {what}: {ratio:.3}x the non-logging baseline's instructions on the \
                     Chatlayer body (target ≤ {target:.2}x): {}",
                    if ratio <= target { "met" } else { "**missed**" }
                );
            }
        }
    }
    text
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_summary_of_a_dump() {
        let dump = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 942613459\n\
                    fn=(1) main\n3 10\ntotals: 942614822\n";
        assert_eq!(parse_summary(dump), Some(942_613_459));
        assert_eq!(parse_summary("events: Ir\n"), None);
    }

    #[test]
    fn the_table_compares_with_the_baseline() {
        let count = |kind, body, per_request| Count {
            kind,
            body,
            requests: 20_000,
            per_request,
        };
        let counts = [
            count(ServerKind::Framework, RequestBody::Chatlayer, 42_000.0),
            count(ServerKind::FrameworkQuiet, RequestBody::Chatlayer, 39_000.0),
            count(ServerKind::Baseline, RequestBody::Chatlayer, 40_000.0),
            count(
                ServerKind::BaselineLogging,
                RequestBody::Chatlayer,
                60_000.0,
            ),
            count(ServerKind::Framework, RequestBody::Minimal, 36_000.0),
            count(ServerKind::Baseline, RequestBody::Minimal, 40_000.0),
        ];
        let settings = LoadSettings {
            connections: 64,
            duration: Duration::from_secs(15),
            warmup: Duration::from_secs(3),
            rounds: 1,
            new_connection_per_request: false,
            body: RequestBody::Chatlayer,
        };
        let text = markdown(&counts, settings);
        assert!(
            text.contains("| chatlayer-rs | 20,000 | 42,000 | 1.050 | 0.700 |"),
            "{text}"
        );
        assert!(
            text.contains("| chatlayer-rs | 20,000 | 36,000 | 0.900 | – |"),
            "{text}"
        );
        assert!(
            text.contains(
                "as shipped: 1.050x the non-logging baseline's instructions on the \
                           Chatlayer body (target ≤ 1.05x): met"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "quiet (logs at warn, no metrics): 0.975x the non-logging baseline's \
                           instructions on the Chatlayer body (target ≤ 0.95x): **missed**"
            ),
            "{text}"
        );
    }
}
