//! Scale-out and a rolling restart behind a real load balancer
//! (`chatlayer-bench -- rolling`; its short form runs in the smoke run, so in CI).
//!
//! Replicas of the quickstart's release binary run behind HAProxy, which health-checks
//! `/readyz` and balances round-robin. First the throughput of one replica and of all of
//! them behind the balancer; then, while `wrk` loads the balancer, the replicas are
//! replaced one at a time as a Kubernetes rollout does (`maxSurge: 1, maxUnavailable: 0`):
//! a new replica starts on a new address and joins the balancer (through HAProxy's runtime
//! API, as an ingress controller follows a Service's endpoints), then the old one gets
//! SIGTERM and leaves once it has exited. Targets: no answer outside 2xx, no socket error
//! at the client, every replica told to stop exits cleanly.
//!
//! The balancer does not retry (`retries 0`), so the result is the server's doing: on
//! SIGTERM a replica fails `/readyz` at once and keeps serving for its drain delay (with
//! `Connection: close`), longer than HAProxy takes to mark it down (two checks, 250 ms
//! apart); only then does it stop accepting. With no drain delay the same run loses
//! requests: HAProxy still sends new connections to a replica that refuses them.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{Pinning, Server, free_addr};
use crate::report::{latency, thousands};
use crate::wrk::{Sample, run_wrk};
use crate::{ORDER_REQUEST, Result, http, machine, target_dir, tools};

/// How the rolling restart is run.
#[derive(Clone, Copy, Debug)]
pub struct RollingSettings {
    /// Replicas behind the balancer.
    pub replicas: usize,
    /// wrk's open connections to the balancer.
    pub connections: u32,
    /// How long each throughput comparison runs.
    pub compare: Duration,
    /// Load before the first restart, and after the last.
    pub settle: Duration,
    /// Load between one replacement being ready and the next SIGTERM.
    pub between: Duration,
    /// Each replica's drain delay (`CHATLAYER_DRAIN_DELAY`): above HAProxy's time to mark a
    /// draining replica down.
    pub drain_delay: Duration,
}

impl RollingSettings {
    /// The full run, for the README.
    pub const FULL: RollingSettings = RollingSettings {
        replicas: 3,
        connections: 64,
        compare: Duration::from_secs(10),
        settle: Duration::from_secs(3),
        between: Duration::from_secs(3),
        drain_delay: Duration::from_secs(2),
    };

    /// The short form CI runs: the same restarts, shorter.
    pub const SHORT: RollingSettings = RollingSettings {
        replicas: 3,
        connections: 16,
        compare: Duration::from_secs(1),
        settle: Duration::from_secs(1),
        between: Duration::from_secs(1),
        drain_delay: Duration::from_secs(1),
    };
}

/// One replica: its address, and its process while it runs.
struct Replica {
    addr: SocketAddr,
    server: Server,
}

/// What happened to one replica during the rolling restart.
struct Restart {
    /// From SIGTERM to the process's exit.
    stopped_in: Duration,
    /// Whether it exited by itself with success.
    clean_exit: bool,
    /// From starting the new one to HAProxy sending it requests.
    replaced_in: Duration,
}

/// Runs the comparison and the rolling restart with the quickstart at `binary`; writes the
/// report (Markdown) to `report` and returns it. Fails when a target is missed, after
/// writing the report.
pub fn run(
    settings: RollingSettings,
    binary: &Path,
    pinning: Pinning,
    report: &Path,
) -> Result<String> {
    tools::ensure_wrk()?;
    let haproxy = find_haproxy()?;
    let work = target_dir().join("bench").join("rolling");
    std::fs::create_dir_all(&work)
        .map_err(|error| format!("cannot create {}: {error}", work.display()))?;
    let body_file = work.join("order.json");
    tools::write(&body_file, ORDER_REQUEST)?;

    let mut replicas = Vec::new();
    for index in 0..settings.replicas {
        let addr = free_addr()?;
        replicas.push(start_replica(
            binary, addr, index, 0, settings, pinning, &work,
        )?);
    }
    let addresses: Vec<SocketAddr> = replicas.iter().map(|replica| replica.addr).collect();

    // Throughput behind the balancer: one replica, then all of them.
    let mut compared = Vec::new();
    for count in [1, settings.replicas] {
        let balancer = Balancer::start(&haproxy, &addresses[..count], pinning, &work)?;
        let sample = run_wrk(
            pinning,
            balancer.addr,
            "/order",
            &body_file,
            settings.connections,
            settings.compare,
        )?;
        eprintln!(
            "{count} replica(s) behind HAProxy: {:.0} req/s, p99 {} us",
            sample.requests_per_second(),
            sample.p99_us
        );
        compared.push((count, sample));
    }

    // The rolling restart, under load: one slot per replica, and a spare for the new one.
    let balancer = Balancer::start(&haproxy, &addresses, pinning, &work)?;
    // Long enough for every replacement, even slow ones; the load keeps going until then.
    let per_replica = settings.drain_delay + Duration::from_secs(3) + settings.between;
    let load_for = settings.settle * 2 + per_replica * settings.replicas as u32;
    let load = {
        let body_file = body_file.clone();
        let addr = balancer.addr;
        let connections = settings.connections;
        std::thread::spawn(move || {
            run_wrk(pinning, addr, "/order", &body_file, connections, load_for)
        })
    };
    let started = Instant::now();
    std::thread::sleep(settings.settle);
    let mut restarts = Vec::new();
    // The slot the next new replica takes: the spare, then each old replica's in turn.
    let mut spare = settings.replicas;
    let mut slots: Vec<usize> = (0..settings.replicas).collect();
    for index in 0..settings.replicas {
        let began = Instant::now();
        let addr = free_addr()?;
        let new = start_replica(binary, addr, index, 1, settings, pinning, &work)?;
        balancer.add(spare, addr)?;
        balancer.wait_until_up(spare)?;
        let replaced_in = began.elapsed();
        let old = &mut replicas[index];
        let signalled = Instant::now();
        old.server.terminate()?;
        let exit = old
            .server
            .wait_exit(settings.drain_delay + Duration::from_secs(25));
        let stopped_in = signalled.elapsed();
        balancer.remove(slots[index])?;
        eprintln!(
            "replica {index}: replacement ready in {:.2} s; stopped in {:.2} s ({})",
            replaced_in.as_secs_f64(),
            stopped_in.as_secs_f64(),
            match exit {
                Some(status) if status.success() => "clean exit".to_owned(),
                Some(status) => format!("exit {status}"),
                None => "did not exit".to_owned(),
            },
        );
        restarts.push(Restart {
            stopped_in,
            clean_exit: exit.is_some_and(|status| status.success()),
            replaced_in,
        });
        std::mem::swap(&mut spare, &mut slots[index]);
        replicas[index] = new;
        std::thread::sleep(settings.between);
    }
    let restarted_in = started.elapsed();
    let sample = load.join().map_err(|_| "the wrk thread panicked")??;
    drop(balancer);
    for replica in replicas {
        replica.server.stop();
    }

    let text = markdown(
        settings,
        pinning,
        &compared,
        &sample,
        &restarts,
        restarted_in,
    );
    tools::write(report, &text)?;
    let failures = sample.failures();
    if failures > 0 || restarts.iter().any(|restart| !restart.clean_exit) {
        return Err(format!("the rolling restart missed its targets:\n{text}"));
    }
    Ok(text)
}

/// `haproxy` from `$HAPROXY`, else from the path (installed from Debian when missing).
fn find_haproxy() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("HAPROXY").filter(|path| !path.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    tools::ensure_debian_program("haproxy", "haproxy")?;
    Ok(PathBuf::from("haproxy"))
}

/// Starts a quickstart replica on `addr` and waits until it serves the order.
fn start_replica(
    binary: &Path,
    addr: SocketAddr,
    index: usize,
    generation: usize,
    settings: RollingSettings,
    pinning: Pinning,
    work: &Path,
) -> Result<Replica> {
    let mut command = pinning.server_command(&binary.to_string_lossy());
    command
        .env("CHATLAYER_ADDR", addr.to_string())
        .env(
            "CHATLAYER_DRAIN_DELAY",
            format!("{}ms", settings.drain_delay.as_millis()),
        )
        // Logging and metrics as deployed: on, JSON lines to a file.
        .env("CHATLAYER_LOG_FORMAT", "json");
    let log = work.join(format!("replica-{index}-{generation}.log"));
    let mut server = Server::start(&format!("replica {index}"), command, &log)?;
    server.wait_ready(Duration::from_secs(20), || {
        http::place_order(addr)?;
        let ready = http::get(addr, "/readyz")?;
        if ready.status == 200 {
            Ok(())
        } else {
            Err(format!("/readyz answered {}", ready.status))
        }
    })?;
    Ok(Replica { addr, server })
}

/// HAProxy in front of some replicas, stopped when dropped.
struct Balancer {
    addr: SocketAddr,
    /// Its runtime API.
    socket: PathBuf,
    _process: Server,
}

impl Balancer {
    fn start(
        haproxy: &Path,
        replicas: &[SocketAddr],
        pinning: Pinning,
        work: &Path,
    ) -> Result<Balancer> {
        let addr = free_addr()?;
        let config = work.join(format!("haproxy-{}.cfg", replicas.len()));
        let socket = work.join(format!("haproxy-{}.sock", replicas.len()));
        let _ = std::fs::remove_file(&socket);
        tools::write(&config, &haproxy_config(addr, &socket, replicas))?;
        let check = Command::new(haproxy)
            .args(["-c", "-q", "-f"])
            .arg(&config)
            .output()
            .map_err(|error| format!("cannot run {}: {error}", haproxy.display()))?;
        if !check.status.success() {
            return Err(format!(
                "haproxy refuses {}: {}",
                config.display(),
                String::from_utf8_lossy(&check.stderr)
            ));
        }
        // The balancer runs beside the load generator: the replicas keep their core.
        let mut command = pinning.load_command(&haproxy.to_string_lossy());
        command.args(["-db", "-f"]).arg(&config);
        let log = work.join(format!("haproxy-{}.log", replicas.len()));
        let mut process = Server::start("haproxy", command, &log)?;
        process.wait_ready(Duration::from_secs(10), || http::place_order(addr))?;
        // Every replica is up in HAProxy's eyes before the load starts.
        std::thread::sleep(Duration::from_millis(600));
        Ok(Balancer {
            addr,
            socket,
            _process: process,
        })
    }

    /// Sends one command to HAProxy's runtime API and returns its answer.
    fn command(&self, command: &str) -> Result<String> {
        use std::io::{Read, Write};
        let mut stream = std::os::unix::net::UnixStream::connect(&self.socket)
            .map_err(|error| format!("cannot reach HAProxy's runtime API: {error}"))?;
        let mut answer = String::new();
        stream
            .write_all(format!("{command}\n").as_bytes())
            .and_then(|()| stream.read_to_string(&mut answer))
            .map_err(|error| format!("HAProxy's runtime API, `{command}`: {error}"))?;
        Ok(answer)
    }

    /// Points slot `slot` at `addr` and lets it take requests once its checks pass.
    fn add(&self, slot: usize, addr: SocketAddr) -> Result<()> {
        let server = format!("replicas/slot{slot}");
        for command in [
            format!(
                "set server {server} addr {} port {}",
                addr.ip(),
                addr.port()
            ),
            format!("set server {server} state ready"),
        ] {
            let answer = self.command(&command)?;
            if !answer.trim().is_empty() && !answer.contains("changed") {
                return Err(format!("HAProxy refused `{command}`: {answer}"));
            }
        }
        Ok(())
    }

    /// Takes slot `slot` out of the balancer.
    fn remove(&self, slot: usize) -> Result<()> {
        let answer = self.command(&format!("set server replicas/slot{slot} state maint"))?;
        if answer.trim().is_empty() {
            Ok(())
        } else {
            Err(format!("HAProxy refused to remove slot {slot}: {answer}"))
        }
    }

    /// Waits until HAProxy's checks say slot `slot` is up.
    fn wait_until_up(&self, slot: usize) -> Result<()> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            // `show servers state replicas`: one line per server; the sixth field is its
            // operational state, 2 when it is up.
            let state = self.command("show servers state replicas")?;
            let up = state.lines().any(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                fields.get(3) == Some(&format!("slot{slot}").as_str())
                    && fields.get(5) == Some(&"2")
            });
            if up {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("HAProxy did not mark slot {slot} up within 10 s"))
    }
}

/// The configuration: round-robin over the replicas, each checked on `/readyz` every
/// 250 ms (down after two failed checks, up after two good ones), keep-alive to the
/// replicas, no retries; one more slot than replicas, in maintenance until a new replica
/// takes it; the runtime API on `socket`.
fn haproxy_config(listen: SocketAddr, socket: &Path, replicas: &[SocketAddr]) -> String {
    let mut config = format!(
        "global\n    maxconn 4096\n    stats socket {} mode 600 level admin\n\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 30s\n    \
         timeout server 30s\n    retries 0\n\n\
         frontend bots\n    bind {listen}\n    default_backend replicas\n\n\
         backend replicas\n    balance roundrobin\n    option httpchk GET /readyz\n    \
         http-check expect status 200\n    default-server inter 250ms fall 2 rise 2\n",
        socket.display()
    );
    for (index, replica) in replicas.iter().enumerate() {
        let _ = writeln!(config, "    server slot{index} {replica} check");
    }
    let _ = writeln!(
        config,
        "    server slot{} 127.0.0.1:1 check disabled",
        replicas.len()
    );
    config
}

fn sample_row(label: &str, sample: &Sample) -> String {
    format!(
        "| {label} | {} | {} | {} | {} | {} | {} |\n",
        thousands(sample.requests as f64),
        thousands(sample.requests_per_second()),
        latency(sample.p50_us as f64),
        latency(sample.p99_us as f64),
        sample.bad_status,
        sample.connect_errors + sample.read_errors + sample.write_errors + sample.timeouts,
    )
}

fn markdown(
    settings: RollingSettings,
    pinning: Pinning,
    compared: &[(usize, Sample)],
    sample: &Sample,
    restarts: &[Restart],
    restarted_in: Duration,
) -> String {
    let mut text = format!(
        "### Replicas behind a load balancer, and a rolling restart\n\n\
         {} quickstart replicas (release, logging JSON lines to files, metrics on) behind \
         HAProxy {}, which checks `/readyz` every 250 ms and balances round-robin; `wrk` with \
         {} connections loads the balancer. Each replica's drain delay is {} ms. {}; {}.\n\n\
         | Run | Requests | Requests/s | p50 | p99 | Answers outside 2xx | Socket errors |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        settings.replicas,
        tools::version_of("haproxy", &["-v"])
            .split_whitespace()
            .nth(2)
            .unwrap_or("(version unknown)"),
        settings.connections,
        settings.drain_delay.as_millis(),
        machine::hardware_line(),
        pinning.describe(),
    );
    for (count, sample) in compared {
        let label = if *count == 1 {
            "1 replica".to_owned()
        } else {
            format!("{count} replicas")
        };
        text.push_str(&sample_row(&label, sample));
    }
    text.push_str(&sample_row(
        &format!(
            "{} replicas, each replaced in turn (within {:.1} s of the run)",
            settings.replicas,
            restarted_in.as_secs_f64()
        ),
        sample,
    ));
    if let [(_, one), .., (_, all)] = compared {
        let _ = write!(
            text,
            "\n{} replicas served {:.2}x the requests per second of one",
            settings.replicas,
            all.requests_per_second() / one.requests_per_second()
        );
        text.push_str(match pinning {
            Pinning::Split => {
                ": here all replicas share one core (the balancer and `wrk` have the other), so \
                 this shows what the balancer and the extra processes cost, not how replicas \
                 scale; on separate cores or machines each replica adds its own throughput, \
                 since the steps share no state.\n"
            }
            Pinning::None => ".\n",
        });
    }
    text.push_str(
        "\n| Replica | New one serving after | Old one: SIGTERM to exit | Exit |\n\
         |---|---:|---:|---|\n",
    );
    for (index, restart) in restarts.iter().enumerate() {
        let _ = writeln!(
            text,
            "| {index} | {:.2} s | {:.2} s | {} |",
            restart.replaced_in.as_secs_f64(),
            restart.stopped_in.as_secs_f64(),
            if restart.clean_exit {
                "clean"
            } else {
                "**not clean**"
            },
        );
    }
    let met = sample.failures() == 0 && restarts.iter().all(|restart| restart.clean_exit);
    let _ = writeln!(
        text,
        "\nTarget: no answer outside 2xx and no socket error at the client during the rolling \
         restart, every replica exiting cleanly: {}.",
        if met { "met" } else { "**missed**" }
    );
    text
}
