//! The memory harness (`chatlayer-bench -- memory`): what floods of large bodies cost the
//! quickstart, whether the memory is given back once the flood is over, and how the global
//! allocator changes both.
//!
//! Each allocator serves the same quickstart (`quickstart` with the system allocator, glibc's
//! malloc here; `quickstart-mimalloc` and `quickstart-jemalloc`, built with the harness's
//! `allocators` feature; jemalloc with and without its background threads). Each flood is run in rounds on a fresh server: every round sends
//! the bodies on as many connections at once, waits for every answer, then lets the server
//! idle before its resident memory is read.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::process::{Server, free_addr};
use crate::report::thousands;
use crate::{Result, http, target_dir, tools, workspace_root};

/// How hard to flood.
#[derive(Clone, Copy, Debug)]
pub struct MemorySettings {
    /// Connections sending a body at once.
    pub clients: usize,
    /// The length of every body.
    pub body_bytes: usize,
    /// Rounds per flood.
    pub rounds: usize,
    /// The pause after a round, before the memory is read.
    pub settle: Duration,
    /// The pause after the last round, before the memory is read a last time.
    pub idle: Duration,
}

impl MemorySettings {
    /// The full run: the issue's flood of 1,000 bodies of 1 MiB, five times.
    pub const FULL: MemorySettings = MemorySettings {
        clients: 1_000,
        body_bytes: 1024 * 1024,
        rounds: 5,
        settle: Duration::from_secs(2),
        idle: Duration::from_secs(10),
    };

    /// The smoke run's: one small round, so that the harness cannot rot.
    pub const SMOKE: MemorySettings = MemorySettings {
        clients: 50,
        body_bytes: 64 * 1024,
        rounds: 1,
        settle: Duration::ZERO,
        idle: Duration::ZERO,
    };
}

/// A global allocator, and the quickstart binary built with it.
#[derive(Clone, Copy, Debug)]
pub struct Allocator {
    /// The name in the report.
    pub name: &'static str,
    /// The binary in the release directory.
    pub binary: &'static str,
    /// Environment variables that configure it.
    pub env: &'static [(&'static str, &'static str)],
}

/// The allocators compared. The jemalloc build enables its background threads (the
/// `background_threads` feature of `tikv-jemallocator`), which purge unused memory while
/// the process idles; they are switched off at run time for plain jemalloc.
pub const ALLOCATORS: [Allocator; 4] = [
    Allocator {
        name: "system (glibc malloc)",
        binary: "quickstart",
        env: &[],
    },
    Allocator {
        name: "mimalloc",
        binary: "quickstart-mimalloc",
        env: &[],
    },
    Allocator {
        name: "jemalloc",
        binary: "quickstart-jemalloc",
        env: &[("_RJEM_MALLOC_CONF", "background_thread:false")],
    },
    Allocator {
        name: "jemalloc, background threads",
        binary: "quickstart-jemalloc",
        env: &[],
    },
];

/// A kind of body the flood sends.
#[derive(Clone, Copy, Debug)]
pub enum Flood {
    /// `{"sku":"A1","quantity":[0,0,...]}`: tiny values, as many as the bytes allow (the
    /// finding: parsed, they took about 16 times their bytes).
    ManyValues,
    /// `{"sku":"AAAA..."}`: one long string, a body the value limit lets through.
    OneLongString,
}

impl Flood {
    fn describe(self, bytes: usize) -> String {
        let size = human_bytes(bytes as u64);
        match self {
            Flood::ManyValues => format!("{size} of `[0,0,...]`"),
            Flood::OneLongString => format!("a {size} string"),
        }
    }

    /// A body of exactly `bytes` bytes.
    pub(crate) fn body(self, bytes: usize) -> Bytes {
        let (head, tail) = match self {
            Flood::ManyValues => (r#"{"sku":"A1","quantity":["#, "0]}"),
            Flood::OneLongString => (r#"{"sku":""#, r#""}"#),
        };
        let fill = bytes.saturating_sub(head.len() + tail.len());
        let mut body = String::with_capacity(bytes);
        body.push_str(head);
        match self {
            Flood::ManyValues => {
                body.push_str(&"0,".repeat(fill / 2));
                if fill % 2 == 1 {
                    body.push(' ');
                }
            }
            Flood::OneLongString => body.push_str(&"A".repeat(fill)),
        }
        body.push_str(tail);
        Bytes::from(body)
    }
}

/// One allocator under one flood.
#[derive(Clone, Debug)]
pub struct Measured {
    /// The allocator.
    pub allocator: Allocator,
    /// The flood.
    pub flood: Flood,
    /// Resident memory once ready, before any flood.
    pub start: u64,
    /// Resident memory after each round, once settled.
    pub after_rounds: Vec<u64>,
    /// Resident memory after the last idle pause.
    pub after_idle: u64,
    /// The peak resident memory (`VmHWM`).
    pub peak: u64,
    /// How the bodies were answered, over all rounds: status (or what happened) and count.
    pub answers: BTreeMap<String, usize>,
}

/// Builds the quickstart with each of `allocators`, floods each, writes the report to
/// `report`, and returns it (Markdown).
pub fn run(settings: MemorySettings, allocators: &[Allocator], report: &Path) -> Result<String> {
    let release = build_allocator_variants(allocators)?;
    let servers: Vec<(PathBuf, Allocator)> = allocators
        .iter()
        .map(|&allocator| (release.join(allocator.binary), allocator))
        .collect();
    flood_each(settings, &servers, report)
}

/// Floods `binary` (a server that serves the quickstart's `/order` on `CHATLAYER_ADDR`, e.g.
/// an older build) as [`run`] floods the quickstart, writes the report to `report`, and
/// returns it.
pub fn run_binary(settings: MemorySettings, binary: &Path, report: &Path) -> Result<String> {
    let allocator = Allocator {
        name: "the binary given",
        binary: "",
        env: &[],
    };
    flood_each(settings, &[(binary.to_path_buf(), allocator)], report)
}

/// Floods each server with each kind of body, writes the report to `report`, and returns it.
fn flood_each(
    settings: MemorySettings,
    servers: &[(PathBuf, Allocator)],
    report: &Path,
) -> Result<String> {
    crate::process::raise_open_files_limit();
    let mut measured = Vec::new();
    for flood in [Flood::ManyValues, Flood::OneLongString] {
        for (binary, allocator) in servers {
            eprintln!(
                "memory: {} under floods of {}",
                allocator.name,
                flood.describe(settings.body_bytes)
            );
            measured.push(measure(binary, *allocator, flood, settings)?);
        }
    }
    let markdown = markdown(settings, &measured);
    tools::write(report, &markdown)?;
    Ok(markdown)
}

/// Builds the quickstart with each of `allocators`, in release mode; returns where they are.
fn build_allocator_variants(allocators: &[Allocator]) -> Result<PathBuf> {
    let release = tools::build_rust_servers()?;
    let mut variants: Vec<&str> = allocators
        .iter()
        .map(|allocator| allocator.binary)
        .filter(|&binary| binary != "quickstart")
        .collect();
    variants.dedup();
    if variants.is_empty() {
        return Ok(release);
    }
    eprintln!("building {}", variants.join(" and "));
    let mut command = Command::new(tools::cargo());
    command.args([
        "build",
        "--release",
        "-p",
        "chatlayer-bench",
        "--features",
        "allocators",
    ]);
    for binary in variants {
        command.args(["--bin", binary]);
    }
    let status = command
        .current_dir(workspace_root())
        .status()
        .map_err(|error| format!("cannot run cargo build: {error}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build of the allocator variants failed ({status})"
        ));
    }
    Ok(release)
}

fn measure(
    binary: &Path,
    allocator: Allocator,
    flood: Flood,
    settings: MemorySettings,
) -> Result<Measured> {
    let addr = free_addr()?;
    let mut command = Command::new(binary);
    command
        .env("CHATLAYER_ADDR", addr.to_string())
        .env("RUST_LOG", "error")
        .envs(allocator.env.iter().copied());
    let log_dir = target_dir().join("bench").join("memory");
    std::fs::create_dir_all(&log_dir)
        .map_err(|error| format!("cannot create {}: {error}", log_dir.display()))?;
    let log = log_dir.join(format!(
        "{}{}.log",
        binary.file_name().unwrap_or_default().to_string_lossy(),
        if allocator.env.is_empty() {
            ""
        } else {
            "-configured"
        }
    ));
    let mut server = Server::start(allocator.name, command, &log)?;
    server.wait_ready(Duration::from_secs(20), || http::place_order(addr))?;
    let start = server.rss_bytes();
    let body = flood.body(settings.body_bytes);
    let runtime = crate::process::runtime()?;
    let mut answers = BTreeMap::new();
    let mut after_rounds = Vec::new();
    for _ in 0..settings.rounds {
        let round = runtime.block_on(send_all(addr, settings.clients, body.clone()));
        for (answer, count) in round {
            *answers.entry(answer).or_insert(0) += count;
        }
        std::thread::sleep(settings.settle);
        after_rounds.push(server.rss_bytes());
    }
    std::thread::sleep(settings.idle);
    let after_idle = server.rss_bytes();
    let peak = server.peak_rss_bytes();
    // The server must still place orders after the floods.
    http::place_order(addr)
        .map_err(|error| format!("{} after the floods: {error}", allocator.name))?;
    server.stop();
    Ok(Measured {
        allocator,
        flood,
        start,
        after_rounds,
        after_idle,
        peak,
        answers,
    })
}

/// Sends `body` to `/order` on `clients` connections at once; returns how they were
/// answered.
async fn send_all(addr: SocketAddr, clients: usize, body: Bytes) -> BTreeMap<String, usize> {
    flood(addr, "/order", clients, body).await
}

/// Sends `body` to `POST path` on `clients` connections at once; returns how they were
/// answered.
pub(crate) async fn flood(
    addr: SocketAddr,
    path: &'static str,
    clients: usize,
    body: Bytes,
) -> BTreeMap<String, usize> {
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        tasks.push(tokio::spawn(send_one(addr, path, body.clone())));
    }
    let mut answers = BTreeMap::new();
    for task in tasks {
        let answer = task
            .await
            .unwrap_or_else(|_| "the client panicked".to_owned());
        *answers.entry(answer).or_insert(0) += 1;
    }
    answers
}

/// One body on one connection: the status the server answered, or what happened instead.
async fn send_one(addr: SocketAddr, path: &str, body: Bytes) -> String {
    let Ok(stream) = TcpStream::connect(addr).await else {
        return "connection refused".to_owned();
    };
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // The server may answer before the body is sent whole (a refusal): read while writing.
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(head.as_bytes()).await;
        let _ = writer.write_all(&body).await;
        writer
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), reader.read_to_end(&mut answer)).await;
    writing.abort();
    let status = http::parse(&answer).map(|answer| answer.status.to_string());
    match (status, read) {
        (Some(status), _) => status,
        (None, Err(_)) => "no answer within 60 s".to_owned(),
        (None, Ok(_)) => "closed without an answer".to_owned(),
    }
}

fn markdown(settings: MemorySettings, measured: &[Measured]) -> String {
    let mut text = format!(
        "#### Memory under floods of large bodies\n\n\
         {} connections at once each send one body to `POST /order` of the quickstart's \
         release binary on the same machine ({}), in {} rounds; resident memory (RSS) is read {} s after each round \
         and after {} s more of idling (`cargo run --release -p chatlayer-bench -- memory`).\n\n\
         | Flood | Allocator | RSS at start | Peak RSS | RSS after each round | RSS idle | Answers |\n\
         |---|---|---:|---:|---|---:|---|\n",
        thousands(settings.clients as f64),
        crate::machine::hardware_line(),
        settings.rounds,
        settings.settle.as_secs(),
        settings.idle.as_secs(),
    );
    for row in measured {
        let rounds: Vec<String> = row
            .after_rounds
            .iter()
            .map(|&bytes| human_bytes(bytes))
            .collect();
        let answers: Vec<String> = row
            .answers
            .iter()
            .map(|(answer, count)| format!("{answer} ×{}", thousands(*count as f64)))
            .collect();
        text.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            row.flood.describe(settings.body_bytes),
            row.allocator.name,
            human_bytes(row.start),
            human_bytes(row.peak),
            rounds.join(", "),
            human_bytes(row.after_idle),
            answers.join(", "),
        ));
    }
    text.push_str(
        "\nThe answers: 503 when the bodies arriving at once fill the budget for bodies in \
         transit, 413 for the values past the value limit, 400 from the step for a product \
         that does not exist (the long string, read whole). A client told 503 or 413 before \
         it finished sending can lose that answer to the reset the server's close causes \
         (\"closed without an answer\").\n",
    );
    text
}

/// `12.3 MiB`.
pub(crate) fn human_bytes(bytes: u64) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    if mib >= 10.0 {
        format!("{mib:.0} MiB")
    } else {
        format!("{mib:.1} MiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_length_asked_and_are_json() {
        for flood in [Flood::ManyValues, Flood::OneLongString] {
            for bytes in [1_000, 1_001, 1024 * 1024] {
                let body = flood.body(bytes);
                assert_eq!(body.len(), bytes, "{flood:?}");
                let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert!(value.get("sku").is_some());
            }
        }
    }
}
