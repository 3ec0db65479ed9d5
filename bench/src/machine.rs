//! What the benchmarks ran on, for the README: the numbers mean little without it.

use std::fs;

use crate::tools::version_of;

/// CPU, cores, memory, system and toolchain, as a Markdown list.
pub fn describe() -> String {
    let (cpu, cpus, memory) = hardware();
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let os = fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|release| {
            release
                .lines()
                .find_map(|line| line.strip_prefix("PRETTY_NAME="))
                .map(|name| name.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "unknown OS".to_owned());
    format!(
        "- CPU: {cpu}, {cpus} CPUs available to the run, {memory} of memory\n\
         - System: {os}, Linux {}\n\
         - {}; {}; {}; Node.js {}\n",
        kernel.trim(),
        version_of("rustc", &["--version"]),
        version_of("wrk", &["--version"])
            .split(" Copyright")
            .next()
            .unwrap_or("wrk"),
        version_of("python3", &["--version"]),
        version_of("node", &["--version"]),
    )
}

/// The hardware in one line, for the reports that do not come with the machine section:
/// `Intel(R) Xeon(R) Processor, 2 CPUs, 24 GiB`.
pub fn hardware_line() -> String {
    let (cpu, cpus, memory) = hardware();
    format!("{cpu}, {cpus} CPUs, {memory}")
}

/// The CPU's model, the CPUs available, and the memory.
fn hardware() -> (String, usize, String) {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU".to_owned(), |(_, model)| {
            model.trim().to_owned()
        });
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let memory = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|meminfo| {
            let line = meminfo
                .lines()
                .find(|line| line.starts_with("MemTotal:"))?
                .to_owned();
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0} GiB", kib / (1024.0 * 1024.0)))
        })
        .unwrap_or_else(|| "unknown".to_owned());
    (cpu, cpus, memory)
}
