//! Finding 1: connections that send nothing. Helper processes (each limited by its own file
//! limit) open thousands of silent connections and hold them, while the probe asks for
//! `/healthz` and places orders; every probe must be answered.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::probe::{Probes, probe_until};
use super::target::Target;
use crate::Result;

/// One run of the silent-connection attack.
#[derive(Clone, Debug)]
pub struct SilentResult {
    /// Silent connections the attackers opened.
    pub opened: usize,
    /// Connections the attackers could not open (refused or timed out).
    pub failed: usize,
    /// What the probes saw during the attack.
    pub probes: Probes,
}

/// Opens `connections` silent connections to `addr`, split over helper processes of at most
/// `per_helper` each, then probes the server while they are held for `hold`.
pub fn run(
    addr: SocketAddr,
    target: &Target,
    connections: usize,
    per_helper: usize,
    hold: Duration,
) -> Result<SilentResult> {
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let mut helpers = Vec::new();
        let mut left = connections;
        while left > 0 {
            let count = left.min(per_helper);
            helpers.push(spawn_helper(addr, count)?);
            left -= count;
        }
        // Each helper says how many it opened once it is done opening: the flood is in
        // place, and the probes start.
        let mut opened = 0;
        let mut failed = 0;
        for helper in &mut helpers {
            let (ok, bad) = tokio::task::block_in_place(|| read_counts(helper))?;
            opened += ok;
            failed += bad;
        }
        let probes = probe_until(
            addr,
            target,
            Duration::from_millis(100),
            tokio::time::sleep(hold),
        )
        .await;
        for mut helper in helpers {
            // Closing its stdin ends a helper and its connections.
            drop(helper.stdin.take());
            let _ = helper.wait();
        }
        Ok(SilentResult {
            opened,
            failed,
            probes,
        })
    })
}

fn spawn_helper(addr: SocketAddr, count: usize) -> Result<Child> {
    // The running harness itself, through /proc: `cargo bench` (the micro-benchmarks, run
    // before the attack in a full run) rebuilds the harness's binary in place, and the path
    // `current_exe` names is then another file, or none.
    let program = match Path::new("/proc/self/exe") {
        proc if proc.exists() => proc.to_path_buf(),
        _ => std::env::current_exe().map_err(|error| format!("cannot find myself: {error}"))?,
    };
    Command::new(program)
        .args(["attack-hold", &addr.to_string(), &count.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("cannot start an attacker process: {error}"))
}

/// The helper's one line: `opened N failed M`.
fn read_counts(helper: &mut Child) -> Result<(usize, usize)> {
    let stdout = helper.stdout.as_mut().ok_or("the helper has no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|error| format!("cannot read an attacker's count: {error}"))?;
    let mut words = line.split_whitespace();
    let number = |word: Option<&str>| -> Result<usize> {
        word.and_then(|word| word.parse().ok())
            .ok_or_else(|| format!("an attacker said {line:?}"))
    };
    let _ = words.next();
    let opened = number(words.next())?;
    let _ = words.next();
    let failed = number(words.next())?;
    Ok((opened, failed))
}

/// The helper process (`chatlayer-bench attack-hold ADDR COUNT`): opens COUNT connections
/// to ADDR that never send a byte, prints `opened N failed M`, and holds them until its
/// standard input closes.
pub fn hold(addr: &str, count: &str) -> Result<()> {
    let addr: SocketAddr = addr
        .parse()
        .map_err(|_| format!("`{addr}` is no address"))?;
    let count: usize = count
        .parse()
        .map_err(|_| format!("`{count}` is no count"))?;
    super::raise_open_files_limit();
    let runtime = super::runtime()?;
    let held = runtime.block_on(async {
        let mut held = Vec::with_capacity(count);
        let mut failed = 0;
        for _ in 0..count {
            match tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(addr))
                .await
            {
                Ok(Ok(stream)) => held.push(stream),
                _ => failed += 1,
            }
        }
        (held, failed)
    });
    println!("opened {} failed {}", held.0.len(), held.1);
    std::io::stdout().flush().ok();
    // Hold until the harness closes our stdin.
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(held);
    Ok(())
}
