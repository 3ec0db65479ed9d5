//! The command line: which benchmarks to run, how long, and where the results go.

use std::path::PathBuf;
use std::time::Duration;

use crate::attack::{self, AttackSettings, Target};
use crate::compile::CompileSettings;
use crate::load::LoadSettings;
use crate::memory::{self, MemorySettings};
use crate::process::Pinning;
use crate::rolling::{self, RollingSettings};
use crate::servers::ServerKind;
use crate::{
    RequestBody, Result, compile, instructions, load, machine, micro, readme, report, target_dir,
    tools, workspace_root,
};

/// What `-- help` prints.
pub const USAGE: &str = "\
chatlayer-bench: benchmarks of chatlayer-rs

USAGE:
    cargo run --release -p chatlayer-bench [-- COMMAND] [OPTIONS]

COMMANDS:
    all        every one below but smoke (the default); writes bench/results/ and the README
    load       the load benchmark: the framework, the axum baseline, FastAPI, Express,
               Rasa SDK and the bare hyper ceiling, in alternating rounds of wrk
    instructions
               instructions per request under callgrind: the framework as shipped and quiet,
               the two baselines, with both bodies (part of load)
    micro      the criterion micro-benchmarks (extraction and serialization by size)
    compile    the compile-time benchmark (N generated steps vs N axum handlers)
    attack     the attack harness: silent connections, slow bodies, SIGTERM under load,
               against the quickstart, with availability targets
    memory     floods of 1,000 bodies of 1 MiB against the quickstart built with the
               system allocator, mimalloc and jemalloc: peak and idle memory
    rolling    three quickstart replicas behind HAProxy: one against three, then each
               restarted in turn under wrk's load, with no error allowed
    smoke      a short run of all of them, framework and baseline only, into
               target/bench/smoke/ (what CI runs); never touches the README
    help       this text

OPTIONS:
    --rounds N          measured rounds per server (default 5; compile: 3)
    --duration SECS     length of one load run (default 10)
    --warmup SECS       unmeasured load before the rounds (default 3)
    --connections N     open connections (default 64)
    --steps N           steps in the compile-time crates (default 200)
    --only A,B          load only these servers: framework, baseline, ceiling, fastapi,
                        express, rasa-sdk (implies --no-readme)
    --no-readme         write bench/results/ but leave the README alone
    --short             attack, rolling: the short form CI runs (implies --no-readme)
    --binary PATH       attack, memory: this server binary instead of the quickstart's
                        release builds, e.g. an older build to see the findings it fixed
                        (implies --no-readme)
";

/// A parsed command line.
#[derive(Clone, Debug)]
pub struct Options {
    /// The command.
    pub command: String,
    /// `--rounds`, when given.
    pub rounds: Option<u32>,
    /// `--duration` in seconds.
    pub duration: u64,
    /// `--warmup` in seconds.
    pub warmup: u64,
    /// `--connections`.
    pub connections: u32,
    /// `--steps`.
    pub steps: usize,
    /// Whether the README is updated.
    pub readme: bool,
    /// `--only`: the servers to load, when not all of them.
    pub only: Option<Vec<ServerKind>>,
    /// `--short`: the attack harness's short form.
    pub short: bool,
    /// `--binary`: the server the attack harness attacks, when not the quickstart.
    pub binary: Option<PathBuf>,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options> {
    let mut options = Options {
        command: "all".to_owned(),
        rounds: None,
        duration: 10,
        warmup: 3,
        connections: 64,
        steps: 200,
        readme: true,
        only: None,
        short: false,
        binary: None,
    };
    let mut args = args.into_iter();
    let mut command = None;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64> {
            let text = args
                .next()
                .ok_or_else(|| format!("{name} needs a number\n\n{USAGE}"))?;
            text.parse()
                .map_err(|_| format!("{name} needs a number, not `{text}`\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--rounds" => options.rounds = Some(value("--rounds")?.max(1) as u32),
            "--duration" => options.duration = value("--duration")?.max(1),
            "--warmup" => options.warmup = value("--warmup")?,
            "--connections" => options.connections = value("--connections")?.max(1) as u32,
            "--steps" => options.steps = value("--steps")?.max(1) as usize,
            "--no-readme" => options.readme = false,
            "--short" => {
                options.short = true;
                options.readme = false;
            }
            "--binary" => {
                let path = args
                    .next()
                    .ok_or_else(|| format!("--binary needs a path\n\n{USAGE}"))?;
                options.binary = Some(PathBuf::from(path));
                options.readme = false;
            }
            "--only" => {
                let list = args
                    .next()
                    .ok_or_else(|| format!("--only needs a list\n\n{USAGE}"))?;
                let kinds = list
                    .split(',')
                    .map(|slug| {
                        ServerKind::from_slug(slug.trim())
                            .ok_or_else(|| format!("--only: no server `{slug}`\n\n{USAGE}"))
                    })
                    .collect::<Result<Vec<_>>>()?;
                options.only = Some(kinds);
                options.readme = false;
            }
            "help" | "--help" | "-h" if command.is_none() => command = Some("help".to_owned()),
            "all" | "load" | "instructions" | "micro" | "compile" | "attack" | "memory"
            | "rolling" | "smoke"
                if command.is_none() =>
            {
                command = Some(arg);
            }
            "attack-hold" if command.is_none() => {
                // The attacker processes of the attack harness: not for people.
                let addr = args.next().unwrap_or_default();
                let count = args.next().unwrap_or_default();
                options.command = format!("attack-hold {addr} {count}");
                return Ok(options);
            }
            other => return Err(format!("unexpected argument `{other}`\n\n{USAGE}")),
        }
    }
    if let Some(command) = command {
        options.command = command;
    }
    Ok(options)
}

/// Runs the parsed command.
pub fn run(options: &Options) -> Result<()> {
    let pinning = Pinning::detect();
    match options.command.as_str() {
        "help" => {
            print!("{USAGE}");
            Ok(())
        }
        "smoke" => smoke(pinning),
        command if command.starts_with("attack-hold ") => {
            let mut words = command.split(' ').skip(1);
            attack::hold(words.next().unwrap_or(""), words.next().unwrap_or(""))
        }
        command => {
            // A partial run must not overwrite the published results.
            let partial = options.only.is_some()
                || options.short
                || options.binary.is_some()
                || command == "instructions";
            let results = if partial {
                target_dir().join("bench").join("partial")
            } else {
                workspace_root().join("bench/results")
            };
            // The machine section goes with the load, micro and compile figures; the attack
            // and memory reports name their machine themselves.
            if matches!(command, "all" | "load" | "micro" | "compile") {
                tools::write(&results.join("machine.md"), &machine_section(pinning))?;
            }
            if matches!(command, "all" | "load") {
                let settings = LoadSettings {
                    connections: options.connections,
                    duration: Duration::from_secs(options.duration),
                    warmup: Duration::from_secs(options.warmup),
                    rounds: options.rounds.unwrap_or(5),
                    new_connection_per_request: false,
                    body: RequestBody::Chatlayer,
                };
                let servers = options.only.clone().unwrap_or(ServerKind::ALL.to_vec());
                run_load(
                    &servers,
                    settings,
                    pinning,
                    &results,
                    "bench/results/load.svg",
                )?;
                if options.only.is_none() {
                    run_shapes(settings, pinning, &results)?;
                    let counting = LoadSettings {
                        duration: Duration::from_secs(15),
                        ..settings
                    };
                    run_instructions(counting, pinning, &results)?;
                }
            }
            if command == "instructions" {
                let counting = LoadSettings {
                    connections: options.connections,
                    duration: Duration::from_secs(options.duration),
                    warmup: Duration::from_secs(options.warmup),
                    rounds: 1,
                    new_connection_per_request: false,
                    body: RequestBody::Chatlayer,
                };
                run_instructions(counting, pinning, &results)?;
            }
            if matches!(command, "all" | "micro") {
                micro::run(false)?;
                tools::write(
                    &results.join("micro.md"),
                    &micro::markdown(&micro::criterion_dir())?,
                )?;
            }
            if matches!(command, "all" | "attack") {
                let targets = match &options.binary {
                    Some(binary) => vec![Target::quickstart(binary.clone())],
                    None => {
                        let built = tools::build_rust_servers()?;
                        vec![
                            Target::quickstart(built.join("quickstart")),
                            Target::embedded(built.join("embed-axum")),
                        ]
                    }
                };
                tools::ensure_wrk()?;
                let settings = if options.short {
                    AttackSettings::SHORT
                } else {
                    AttackSettings::FULL
                };
                let report = attack::run(settings, &targets, pinning, &results.join("attack.md"))?;
                println!("{report}");
            }
            if matches!(command, "all" | "memory") {
                let report = match &options.binary {
                    Some(binary) => memory::run_binary(
                        MemorySettings::FULL,
                        binary,
                        &results.join("memory.md"),
                    )?,
                    None => memory::run(
                        MemorySettings::FULL,
                        &memory::ALLOCATORS,
                        &results.join("memory.md"),
                    )?,
                };
                println!("{report}");
            }
            if matches!(command, "all" | "rolling") {
                let settings = if options.short {
                    RollingSettings::SHORT
                } else {
                    RollingSettings::FULL
                };
                let binary = tools::build_rust_servers()?.join("quickstart");
                let report = rolling::run(settings, &binary, pinning, &results.join("rolling.md"))?;
                println!("{report}");
            }
            if matches!(command, "all" | "compile") {
                let settings = CompileSettings {
                    steps: options.steps,
                    rounds: options.rounds.unwrap_or(3),
                    profiles: vec!["dev", "release"],
                };
                let measured = compile::run(&settings)?;
                tools::write(
                    &results.join("compile.md"),
                    &compile::markdown(&settings, &measured),
                )?;
            }
            if options.readme && !partial {
                readme::update(&workspace_root().join("bench").join("README.md"), &results)?;
                eprintln!("updated bench/README.md from {}", results.display());
            }
            Ok(())
        }
    }
}

/// The short run of CI: a second per server, framework and baseline only, every benchmark
/// once, so that the harness cannot rot. Its numbers mean nothing and go nowhere but
/// `target/bench/smoke/`, except the attack harness's short form: its targets must hold.
fn smoke(pinning: Pinning) -> Result<()> {
    let results: PathBuf = target_dir().join("bench").join("smoke");
    let settings = LoadSettings {
        connections: 16,
        duration: Duration::from_secs(1),
        warmup: Duration::ZERO,
        rounds: 2,
        new_connection_per_request: false,
        body: RequestBody::Chatlayer,
    };
    run_load(&ServerKind::SMOKE, settings, pinning, &results, "load.svg")?;
    run_shapes(settings, pinning, &results)?;
    run_instructions(
        LoadSettings {
            duration: Duration::from_secs(2),
            ..settings
        },
        pinning,
        &results,
    )?;
    let built = tools::build_rust_servers()?;
    let report = attack::run(
        AttackSettings::SHORT,
        &[
            Target::quickstart(built.join("quickstart")),
            Target::embedded(built.join("embed-axum")),
        ],
        pinning,
        &results.join("attack.md"),
    )?;
    println!("{report}");
    let report = memory::run(
        MemorySettings::SMOKE,
        &memory::ALLOCATORS[..1],
        &results.join("memory.md"),
    )?;
    println!("{report}");
    let report = rolling::run(
        RollingSettings::SHORT,
        &built.join("quickstart"),
        pinning,
        &results.join("rolling.md"),
    )?;
    println!("{report}");
    micro::run(true)?;
    let settings = CompileSettings {
        steps: 3,
        rounds: 1,
        profiles: vec!["dev"],
    };
    let measured = compile::run(&settings)?;
    let compile_report = compile::markdown(&settings, &measured);
    tools::write(&results.join("compile.md"), &compile_report)?;
    println!("{compile_report}");
    println!("smoke run passed; results in {}", results.display());
    Ok(())
}

fn run_load(
    servers: &[ServerKind],
    settings: LoadSettings,
    pinning: Pinning,
    results: &std::path::Path,
    chart_link: &str,
) -> Result<()> {
    let measured = load::run(servers, settings, pinning)?;
    let summaries = report::summarize(&measured);
    let subtitle = format!(
        "wrk, {} connections, {} s per run, {} rounds; {}",
        settings.connections,
        settings.duration.as_secs(),
        settings.rounds,
        pinning.describe()
    );
    tools::write(
        &results.join("load.svg"),
        &report::svg_chart(&summaries, &subtitle),
    )?;
    let raw: Vec<_> = measured
        .iter()
        .map(|result| {
            serde_json::json!({
                "server": result.kind.label(),
                "peak_rss_bytes": result.peak_rss_bytes,
                "samples": result.samples,
            })
        })
        .collect();
    tools::write(
        &results.join("load.json"),
        &serde_json::to_string_pretty(&raw).expect("serializable"),
    )?;
    let section = format!(
        "### Load\n\n\
         `POST /order` with {}, loaded by `wrk` with {} connections for {} s \
         per run, {} rounds after a {} s warm-up per server; the servers take turns within each \
         round, and ratios are taken round by round against each baseline (the hand-written \
         step logging nothing, and logging as axum apps usually do), then the median. \
         Every server's answer is checked before and after the load (byte for byte for the \
         Rust servers), and a run with any error or non-2xx answer fails.\n\n\
         ![Requests per second by server]({chart_link})\n\n{}\n{}",
        settings.body.describe(),
        settings.connections,
        settings.duration.as_secs(),
        settings.rounds,
        settings.warmup.as_secs(),
        report::markdown_table(&summaries),
        report::targets(&summaries, 1.0),
    );
    tools::write(&results.join("load.md"), &section)?;
    println!("{section}");
    Ok(())
}

/// Counts the instructions per request of the Rust servers under callgrind.
fn run_instructions(
    settings: LoadSettings,
    pinning: Pinning,
    results: &std::path::Path,
) -> Result<()> {
    let counts = instructions::run(&instructions::SERVERS, settings, pinning)?;
    let section = instructions::markdown(&counts, settings);
    tools::write(&results.join("instructions.md"), &section)?;
    println!("{section}");
    Ok(())
}

/// Connections of the I/O-bound shape: a busy bot's worth of conversations waiting at once.
const IO_BOUND_CONNECTIONS: u32 = 512;

/// The two other shapes a backend meets, framework against baseline with `settings`' rounds
/// and durations: a new connection for every request, and a step awaiting a dependency
/// under [`IO_BOUND_CONNECTIONS`] connections.
fn run_shapes(settings: LoadSettings, pinning: Pinning, results: &std::path::Path) -> Result<()> {
    let fresh = LoadSettings {
        new_connection_per_request: true,
        ..settings
    };
    let fresh_measured = load::run(
        &[ServerKind::Framework, ServerKind::Baseline],
        fresh,
        pinning,
    )?;
    let minimal = LoadSettings {
        body: RequestBody::Minimal,
        ..settings
    };
    let minimal_measured = load::run(&ServerKind::SMOKE, minimal, pinning)?;
    let minimal = report::summarize(&minimal_measured);
    let io = LoadSettings {
        connections: IO_BOUND_CONNECTIONS,
        ..settings
    };
    let io_measured = load::run(&ServerKind::IO_BOUND, io, pinning)?;
    let fresh = report::summarize(&fresh_measured);
    let io_bound = report::summarize(&io_measured);
    let section = format!(
        "### More shapes\n\n\
         The load above sends what Chatlayer sends. Three more shapes run like it ({} rounds \
         of {} s, servers taking turns, answers checked), framework against the hand-written \
         baselines.\n\n\
         **The minimal body**: {}.\n\n{}\n{}\n\
         Chatlayer may open a new connection for every API step call, and a real step often \
         waits on a database or an API.\n\n\
         **A new connection per request**: every request carries `Connection: close`, so \
         `wrk` connects anew for each of its {} connections' requests.\n\n{}\n{}\n\
         **A step that awaits a dependency**: the order step awaits a {} ms sleep (standing \
         for a database call) before answering, under {} connections; what counts is latency \
         and memory, not the CPU loop.\n\n{}\n{}",
        settings.rounds,
        settings.duration.as_secs(),
        RequestBody::Minimal.describe(),
        report::markdown_table(&minimal),
        report::targets(&minimal, 1.1),
        settings.connections,
        report::markdown_table(&fresh),
        report::targets(&fresh, 1.1),
        crate::servers::IO_DELAY_MS,
        IO_BOUND_CONNECTIONS,
        report::markdown_table(&io_bound),
        report::targets(&io_bound, 1.1),
    );
    tools::write(&results.join("shapes.md"), &section)?;
    println!("{section}");
    Ok(())
}

fn machine_section(pinning: Pinning) -> String {
    let date = tools::version_of("date", &["-u", "+%Y-%m-%d"]);
    format!(
        "### Machine and command\n\n\
         Measured on {date} with `cargo run --release -p chatlayer-bench` (about 45 minutes; \
         it installs `wrk`, the Python peers and Express itself).\n\n{}\
         - Load: {}; every server gets one core, the load generator the other\n",
        machine::describe(),
        pinning.describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Options> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn parses_commands_and_options() {
        let options = parse_line("load --rounds 3 --duration 5 --no-readme").unwrap();
        assert_eq!(options.command, "load");
        assert_eq!(
            (options.rounds, options.duration, options.readme),
            (Some(3), 5, false)
        );
        assert_eq!(parse_line("").unwrap().command, "all");
        assert_eq!(parse_line("--help").unwrap().command, "help");
        assert!(
            parse_line("load --rounds many")
                .unwrap_err()
                .contains("not `many`")
        );
        assert!(
            parse_line("race")
                .unwrap_err()
                .contains("unexpected argument `race`")
        );
        let only = parse_line("load --only framework,baseline").unwrap();
        assert_eq!(
            only.only,
            Some(vec![ServerKind::Framework, ServerKind::Baseline])
        );
        assert!(!only.readme);
        assert!(
            parse_line("load --only nginx")
                .unwrap_err()
                .contains("no server `nginx`")
        );
    }
}
