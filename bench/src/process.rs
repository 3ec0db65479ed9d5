//! Servers as child processes: started in their own process group (so a server that forks
//! workers is measured and stopped as a whole), optionally pinned to a CPU, and measured
//! through `/proc`.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// A free local port, found by binding port 0 and letting it go.
pub fn free_addr() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|error| format!("cannot find a free local port: {error}"))?;
    listener
        .local_addr()
        .map_err(|error| format!("cannot read the free port's address: {error}"))
}

/// Which CPUs the servers and the load generator run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pinning {
    /// Server on CPU 1, load generator on CPU 0: each server gets exactly one core.
    Split,
    /// Fewer than two CPUs: nothing is pinned.
    None,
}

impl Pinning {
    /// `Split` when this machine has at least two CPUs and `taskset`.
    pub fn detect() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let taskset = Command::new("taskset")
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if cpus >= 2 && taskset {
            Pinning::Split
        } else {
            Pinning::None
        }
    }

    /// `program args..`, run on the server's CPU.
    pub fn server_command(self, program: &str) -> Command {
        self.command(program, "1")
    }

    /// `program args..`, run on the load generator's CPU.
    pub fn load_command(self, program: &str) -> Command {
        self.command(program, "0")
    }

    fn command(self, program: &str, cpu: &str) -> Command {
        match self {
            Pinning::Split => {
                let mut command = Command::new("taskset");
                command.args(["-c", cpu, program]);
                command
            }
            Pinning::None => Command::new(program),
        }
    }

    /// How the README describes it.
    pub fn describe(self) -> &'static str {
        match self {
            Pinning::Split => "each server pinned to CPU 1 and wrk to CPU 0 (`taskset`)",
            Pinning::None => "nothing pinned (fewer than two CPUs)",
        }
    }
}

/// A running server: its process group, and where its output goes.
pub struct Server {
    child: Child,
    name: String,
    stopped: bool,
}

impl Server {
    /// Starts `command` in a new process group, its output appended to `log`.
    pub fn start(name: &str, mut command: Command, log: &Path) -> Result<Self> {
        let open = || {
            fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .map_err(|error| format!("cannot open the log {}: {error}", log.display()))
        };
        command
            .stdin(Stdio::null())
            .stdout(open()?)
            .stderr(open()?)
            .process_group(0);
        let child = command
            .spawn()
            .map_err(|error| format!("cannot start {name} ({command:?}): {error}"))?;
        Ok(Server {
            child,
            name: name.to_owned(),
            stopped: false,
        })
    }

    /// The process id of the command started (the program itself: `taskset` execs it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `ready` succeeds (the server answers correctly), at most `limit`.
    pub fn wait_ready(
        &mut self,
        limit: Duration,
        mut ready: impl FnMut() -> Result<()>,
    ) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited before it was ready ({status})",
                    self.name
                ));
            }
            match ready() {
                Ok(()) => return Ok(()),
                Err(error) if started.elapsed() > limit => {
                    return Err(format!(
                        "{} was not ready after {limit:?}: {error}",
                        self.name
                    ));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Sends SIGTERM to the server alone, as an orchestrator does to stop it.
    pub fn terminate(&self) -> Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .map_err(|error| format!("cannot run kill: {error}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("kill -TERM {} failed ({status})", self.child.id()))
        }
    }

    /// Waits at most `limit` for the server to exit, and says how it did.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.stopped = true;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The resident memory now (`VmRSS`), summed over every process of the group.
    pub fn rss_bytes(&self) -> u64 {
        self.status_bytes("VmRSS:")
    }

    /// The peak resident memory so far (`VmHWM`), summed over every process of the group.
    pub fn peak_rss_bytes(&self) -> u64 {
        self.status_bytes("VmHWM:")
    }

    fn status_bytes(&self, field: &str) -> u64 {
        group_members(self.child.id())
            .into_iter()
            .filter_map(|pid| fs::read_to_string(format!("/proc/{pid}/status")).ok())
            .filter_map(|status| status_kib(&status, field).map(|kib| kib * 1024))
            .sum()
    }

    /// Stops the whole group: SIGTERM, then SIGKILL to what is left after two seconds, and
    /// returns once no member of the group runs. Dropping a `Server`
    /// does the same, so an error in the middle of a run leaves no server behind.
    pub fn stop(self) {
        drop(self);
    }

    fn stop_group(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let group = format!("-{}", self.child.id());
        let signal = |name: &str| {
            let _ = Command::new("kill")
                .args([name, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        // Every member of the group, not only its leader: a signal is delivered, not acted
        // on, by the time `kill` returns, and the next server must not share the machine
        // with the last one's leftovers.
        let pid = self.child.id();
        let group_gone_within = |child: &mut Child, wait: Duration| {
            let deadline = Instant::now() + wait;
            loop {
                let _ = child.try_wait();
                if group_members(pid).is_empty() {
                    return true;
                }
                if Instant::now() >= deadline {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        signal("-TERM");
        if !group_gone_within(&mut self.child, Duration::from_secs(2)) {
            signal("-KILL");
            group_gone_within(&mut self.child, Duration::from_secs(2));
        }
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_group();
    }
}

/// Every live process whose process group is `group` (zombies hold no memory and may wait
/// a while for a parent to reap them).
fn group_members(group: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return vec![group];
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| process_group(&stat))
                == Some(group)
        })
        .collect()
}

/// The `pgrp` field of `/proc/<pid>/stat` (the third field after the `(comm)` one, which
/// may itself contain spaces and parentheses), unless the process is a zombie.
fn process_group(stat: &str) -> Option<u32> {
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?;
    if state == "Z" {
        return None;
    }
    fields.nth(1)?.parse().ok()
}

/// A `kB` field of `/proc/<pid>/status`, e.g. `VmHWM:`, in KiB.
fn status_kib(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A runtime for the attackers, the probe and the memory harness's clients.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a tokio runtime: {error}"))
}

/// Raises this process's soft limit on open files to the hard limit: an attacker holds
/// thousands of sockets.
pub fn raise_open_files_limit() {
    // SAFETY: getrlimit and setrlimit only read and write the struct given to them.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_process_group_and_the_peak_memory() {
        let stat = "4242 (my (odd) server) S 1 4240 4240 0 -1 4194560";
        assert_eq!(process_group(stat), Some(4240));
        assert_eq!(process_group("4243 (gone) Z 1 4240 4240 0"), None);
        let status = "Name:\tserver\nVmPeak:\t  9000 kB\nVmHWM:\t    1536 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(status_kib(status, "VmHWM:"), Some(1536));
    }

    #[test]
    fn measures_and_stops_a_real_process_group() {
        let log = std::env::temp_dir().join("chatlayer-bench-process-test.log");
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 30 & sleep 30"]);
        let mut server = Server::start("sleepers", command, &log).unwrap();
        let pid = server.child.id();
        server
            .wait_ready(Duration::from_secs(5), || {
                if group_members(pid).len() >= 2 {
                    Ok(())
                } else {
                    Err("not yet".into())
                }
            })
            .unwrap();
        assert!(server.peak_rss_bytes() > 0);
        server.stop();
        assert!(group_members(pid).is_empty(), "the whole group is gone");
    }
}
