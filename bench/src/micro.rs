//! The micro-benchmarks (`bench/benches/micro.rs`): run through `cargo bench`, then read
//! back from criterion's estimates into a table that shows how the cost grows with size.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::{Result, target_dir, tools, workspace_root};

/// The groups, with what they measure.
pub const GROUPS: [(&str, &str); 2] = [
    (
        "extract",
        "parameter extraction (a cart of N bytes in, a short reply out)",
    ),
    (
        "reply",
        "reply serialization (a short request in, N bytes of session data out)",
    ),
];

/// The sizes, as the benchmark names them.
pub const SIZES: [&str; 3] = ["1KB", "100KB", "1MB"];

/// The implementations side by side.
pub const IMPLEMENTATIONS: [&str; 2] = ["chatlayer-rs", "axum"];

/// Runs the criterion benchmarks; `quick` runs each once as a test, with no measurement.
pub fn run(quick: bool) -> Result<()> {
    let mut command = Command::new(tools::cargo());
    command
        .args(["bench", "-p", "chatlayer-bench", "--bench", "micro"])
        .current_dir(workspace_root());
    if quick {
        command.args(["--", "--test"]);
    }
    eprintln!("running {command:?}");
    let status = command
        .status()
        .map_err(|error| format!("cannot run cargo bench: {error}"))?;
    if !status.success() {
        return Err(format!("cargo bench failed ({status})"));
    }
    Ok(())
}

/// One measurement: mean time per call and the bytes it handled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Mean nanoseconds per call.
    pub nanos: f64,
    /// The request or reply size, in bytes.
    pub bytes: u64,
}

/// Reads criterion's estimate of `group/implementation/size` under `criterion_dir`.
pub fn read_estimate(
    criterion_dir: &Path,
    group: &str,
    implementation: &str,
    size: &str,
) -> Result<Estimate> {
    let dir = criterion_dir
        .join(group)
        .join(implementation)
        .join(size)
        .join("new");
    let json = |file: &str| -> Result<Value> {
        let path = dir.join(file);
        serde_json::from_str(&tools::read(&path)?)
            .map_err(|error| format!("{}: {error}", path.display()))
    };
    let nanos = json("estimates.json")?["mean"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("no mean estimate in {}", dir.display()))?;
    let bytes = json("benchmark.json")?["throughput"]["Bytes"]
        .as_u64()
        .ok_or_else(|| format!("no byte throughput in {}", dir.display()))?;
    Ok(Estimate { nanos, bytes })
}

/// The Markdown section: per group and size, both implementations, their ratio, and the
/// cost per KB, whose flatness from 100 KB to 1 MB is what "linear" means here.
pub fn markdown(criterion_dir: &Path) -> Result<String> {
    let mut text = String::from(
        "### Micro-benchmarks\n\n\
         In-process through each router (no socket), mean time per call from criterion \
         (`cargo bench -p chatlayer-bench --bench micro`). *Per KB* divides by the body \
         size: constant from 100 KB to 1 MB means the cost grows linearly.\n\n\
         | What | Size | chatlayer-rs | axum by hand | ratio | chatlayer-rs per KB | axum per KB |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut growth = String::new();
    for (group, what) in GROUPS {
        let mut per_kb_at = Vec::new();
        for size in SIZES {
            let ours = read_estimate(criterion_dir, group, "chatlayer-rs", size)?;
            let theirs = read_estimate(criterion_dir, group, "axum", size)?;
            let per_kb = |estimate: Estimate| estimate.nanos / (estimate.bytes as f64 / 1000.0);
            per_kb_at.push((size, ours, per_kb(ours)));
            let _ = writeln!(
                text,
                "| {what} | {} | {} | {} | {:.2} | {} | {} |",
                human_bytes(ours.bytes),
                duration(ours.nanos),
                duration(theirs.nanos),
                ours.nanos / theirs.nanos,
                duration(per_kb(ours)),
                duration(per_kb(theirs)),
            );
        }
        if let [_, (_, medium, _), (_, large, _)] = per_kb_at[..] {
            let _ = writeln!(
                growth,
                "- {group}: {:.1}x the bytes from 100 KB to 1 MB took {:.1}x the time.",
                large.bytes as f64 / medium.bytes as f64,
                large.nanos / medium.nanos
            );
        }
    }
    text.push('\n');
    text.push_str(&growth);
    let check = read_estimate(criterion_dir, "bot-file", "check", "500-blocks")?;
    let load = read_estimate(criterion_dir, "bot-file", "load", "500-blocks")?;
    let _ = writeln!(
        text,
        "- `check` on a 500-block bot file ({}): {} to check it against the quickstart's \
         OpenAPI document, after {} to read it.",
        human_bytes(check.bytes),
        duration(check.nanos),
        duration(load.nanos)
    );
    Ok(text)
}

/// Where criterion writes its results.
pub fn criterion_dir() -> std::path::PathBuf {
    target_dir().join("criterion")
}

fn human_bytes(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.2} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.1} KB", bytes as f64 / 1e3)
    }
}

/// Nanoseconds in the unit that reads best.
pub fn duration(nanos: f64) -> String {
    if nanos >= 1e6 {
        format!("{:.2} ms", nanos / 1e6)
    } else if nanos >= 1e3 {
        format!("{:.1} µs", nanos / 1e3)
    } else {
        format!("{nanos:.0} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterions_files_into_a_table() {
        let dir = std::env::temp_dir().join("chatlayer-bench-micro-test");
        for (group, _) in GROUPS {
            for implementation in IMPLEMENTATIONS {
                for (index, size) in SIZES.iter().enumerate() {
                    let bytes = [1_000u64, 100_000, 1_000_000][index];
                    let factor = if implementation == "axum" { 1.0 } else { 1.25 };
                    let new = dir.join(group).join(implementation).join(size).join("new");
                    tools::write(
                        &new.join("estimates.json"),
                        &format!(
                            "{{\"mean\":{{\"point_estimate\":{}}}}}",
                            bytes as f64 * 10.0 * factor
                        ),
                    )
                    .unwrap();
                    tools::write(
                        &new.join("benchmark.json"),
                        &format!("{{\"throughput\":{{\"Bytes\":{bytes}}}}}"),
                    )
                    .unwrap();
                }
            }
        }
        for (what, nanos) in [("check", 130e6), ("load", 9.5e6)] {
            let new = dir
                .join("bot-file")
                .join(what)
                .join("500-blocks")
                .join("new");
            let estimate = format!("{{\"mean\":{{\"point_estimate\":{nanos}}}}}");
            tools::write(&new.join("estimates.json"), &estimate).unwrap();
            let throughput = "{\"throughput\":{\"Bytes\":290000}}";
            tools::write(&new.join("benchmark.json"), throughput).unwrap();
        }
        let table = markdown(&dir).unwrap();
        assert!(
            table.contains("- `check` on a 500-block bot file (290.0 KB): 130.00 ms to check"),
            "{table}"
        );
        assert!(
            table.contains("| 1.00 MB | 12.50 ms | 10.00 ms | 1.25 | 12.5 µs | 10.0 µs |"),
            "{table}"
        );
        assert!(
            table.contains("- extract: 10.0x the bytes from 100 KB to 1 MB took 10.0x the time."),
            "{table}"
        );
    }
}
