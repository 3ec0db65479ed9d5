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
use crate::{Result, http, target_dir, tools};

/// The servers counted: the framework as it ships, quiet, and the baseline.
pub const SERVERS: [ServerKind; 3] = [
    ServerKind::Framework,
    ServerKind::FrameworkQuiet,
    ServerKind::Baseline,
];

/// Connections while counting: enough to keep the slowed-down server busy.
const CONNECTIONS: u32 = 8;

/// One server's count.
#[derive(Clone, Copy, Debug)]
pub struct Count {
    /// Which server.
    pub kind: ServerKind,
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
    servers
        .iter()
        .map(|&kind| count(kind, &installed, settings, pinning, &work))
        .collect()
}

fn count(
    kind: ServerKind,
    installed: &Installed,
    settings: LoadSettings,
    pinning: Pinning,
    work: &Path,
) -> Result<Count> {
    let addr = free_addr()?;
    let slug = kind.slug();
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
    let body = kind.body()?;
    let body_file = work.join(format!("{slug}.json"));
    tools::write(&body_file, &body)?;
    eprintln!(
        "counting the instructions of {} under callgrind",
        kind.label()
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

/// The README's section: a table and the target.
pub fn markdown(counts: &[Count], settings: LoadSettings) -> String {
    let baseline = counts.iter().find(|count| count.kind.is_baseline());
    let mut text = format!(
        "### Instructions per request\n\n\
         Each Rust server under valgrind's callgrind, loaded by `wrk` with {CONNECTIONS} \
         connections: counters zeroed after {} s of warm-up, dumped after {} s; the \
         instructions of the whole process (HTTP server, router, step, log writer thread) \
         divided by the requests answered. These counts repeat from run to run; the \
         requests/s above swing with the machine.\n\n\
         | Server | Requests counted | Instructions per request | vs baseline |\n\
         |---|---:|---:|---:|\n",
        settings.warmup.max(Duration::from_secs(1)).as_secs(),
        settings.duration.as_secs()
    );
    for count in counts {
        let ratio = baseline.map_or(f64::NAN, |baseline| {
            count.per_request / baseline.per_request
        });
        let _ = writeln!(
            text,
            "| {} | {} | {} | {ratio:.3} |",
            count.kind.label(),
            crate::report::thousands(count.requests as f64),
            crate::report::thousands(count.per_request),
        );
    }
    if let (Some(framework), Some(baseline)) = (
        counts
            .iter()
            .find(|count| count.kind == ServerKind::Framework),
        baseline,
    ) {
        let met = framework.per_request <= baseline.per_request;
        let _ = writeln!(
            text,
            "\n- instructions per request as shipped {} against the baseline's {} (target: at \
             or below): {}",
            crate::report::thousands(framework.per_request),
            crate::report::thousands(baseline.per_request),
            if met { "met" } else { "**missed**" }
        );
    }
    text
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
        let counts = [
            Count {
                kind: ServerKind::Framework,
                requests: 20_000,
                per_request: 36_000.0,
            },
            Count {
                kind: ServerKind::Baseline,
                requests: 28_000,
                per_request: 40_000.0,
            },
        ];
        let settings = LoadSettings {
            connections: 64,
            duration: Duration::from_secs(15),
            warmup: Duration::from_secs(3),
            rounds: 1,
            new_connection_per_request: false,
        };
        let text = markdown(&counts, settings);
        assert!(
            text.contains("| chatlayer-rs | 20,000 | 36,000 | 0.900 |"),
            "{text}"
        );
        assert!(text.contains("(target: at or below): met"), "{text}");
    }
}
