//! Attacks on recording: strangers trying to fill the recording folder (and to learn which
//! paths exist from the statuses), and floods of large bodies against a server that
//! records, whose copies must stay within the recording's memory bound.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Target;
use crate::memory::{Flood, flood, human_bytes};
use crate::process::Server;
use crate::{Result, http};

/// The token the harness's recording server requires.
pub(super) const TOKEN: &str = "attack-harness-t0ken";

/// The methods a stranger tries on every path.
const METHODS: [&str; 7] = ["POST", "PUT", "GET", "HEAD", "OPTIONS", "FOO", "DELETE"];

/// How many real exchanges follow the strangers.
const REAL: usize = 5;

/// What strangers got, and what the folder holds after them.
pub(super) struct Strangers {
    /// Requests sent without credentials.
    pub(super) sent: usize,
    /// Of those, answered 401.
    pub(super) refused: usize,
    /// The other answers, as `status ×count`.
    pub(super) others: Vec<String>,
    /// Files in the folder once the real exchanges were recorded.
    pub(super) files: usize,
}

impl Strangers {
    pub(super) fn met(&self) -> bool {
        self.refused == self.sent && self.files == REAL
    }

    pub(super) fn describe(&self) -> String {
        let others = if self.others.is_empty() {
            String::new()
        } else {
            format!(" (others: {})", self.others.join(", "))
        };
        format!(
            "{} of {} answered 401{others}; the folder holds {} files, the {REAL} real exchanges \
             sent after them being {REAL}",
            self.refused, self.sent, self.files
        )
    }
}

/// The folder a recording server of `target` writes into for the attack `name`, empty.
pub(super) fn folder(target: &Target, name: &str) -> PathBuf {
    let dir = crate::target_dir()
        .join("bench")
        .join("attack")
        .join(target.name)
        .join(format!("{name}-recording"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Sends `requests` requests without credentials (every method, to the step and to a path
/// no step answers), then [`REAL`] orders with the token, and counts what was recorded.
pub(super) fn strangers(
    target: &Target,
    addr: SocketAddr,
    dir: &Path,
    requests: usize,
) -> Result<Strangers> {
    let mut paths = vec![target.step];
    paths.extend(target.unknown);
    let mut refused = 0;
    let mut others = std::collections::BTreeMap::new();
    for n in 0..requests {
        let method = METHODS[n % METHODS.len()];
        let path = paths[(n / METHODS.len()) % paths.len()];
        let wrong = format!("Authorization: Bearer guess-{n}");
        let headers = if n % 2 == 0 { vec![] } else { vec![wrong] };
        let answer = http::send(addr, method, path, &headers, "{}")?;
        if answer.status == 401 {
            refused += 1;
        } else {
            *others
                .entry(format!("{method} {path}: {}", answer.status))
                .or_insert(0) += 1;
        }
    }
    let token = vec![format!("Authorization: Bearer {TOKEN}")];
    for _ in 0..REAL {
        let answer = http::send(addr, "POST", target.step, &token, target.body)?;
        if answer.status != 200 {
            return Err(format!(
                "a real request was answered HTTP {}",
                answer.status
            ));
        }
    }
    Ok(Strangers {
        sent: requests,
        refused,
        others: others
            .into_iter()
            .map(|(answer, count)| format!("{answer} ×{count}"))
            .collect(),
        files: settled_files(dir, REAL),
    })
}

/// The files in `dir` once `expected` are there, or after five seconds.
fn settled_files(dir: &Path, expected: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let count = std::fs::read_dir(dir).map_or(0, |entries| entries.count());
        if count >= expected || Instant::now() > deadline {
            // A moment more, for a file beyond the expected ones.
            std::thread::sleep(Duration::from_millis(200));
            return std::fs::read_dir(dir).map_or(0, |entries| entries.count());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Peak memory of one server under one flood.
pub(super) struct Flooded {
    /// The peak resident memory (`VmHWM`).
    pub(super) peak: u64,
    /// How the bodies were answered.
    pub(super) answers: Vec<String>,
}

/// Floods `server`'s step with `clients` bodies of `bytes` at once; returns its peak memory.
pub(super) fn flood_bodies(
    server: &Server,
    target: &Target,
    addr: SocketAddr,
    clients: usize,
    bytes: usize,
) -> Result<Flooded> {
    let runtime = super::runtime()?;
    let body = Flood::OneLongString.body(bytes);
    let answers = runtime.block_on(flood(addr, target.step, clients, body));
    Ok(Flooded {
        peak: server.peak_rss_bytes(),
        answers: answers
            .into_iter()
            .map(|(answer, count)| format!("{answer} ×{count}"))
            .collect(),
    })
}

/// `98 MiB`.
pub(super) fn mib(bytes: u64) -> String {
    human_bytes(bytes)
}
