//! Helpers shared by the quickstart's test binaries that run the quickstart itself.

// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use chatlayer_tests::programs::{start_program, stop_program};

/// Starts the quickstart binary with `args` on a free port with `env`, and waits until
/// `/healthz` answers. Its output is piped (read it with [`stop_binary`]).
pub async fn start_binary(args: &[&str], env: &[(&str, &str)]) -> (Child, u16) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quickstart"));
    command.args(args).env("NO_COLOR", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    start_program(command).await
}

/// Sends SIGTERM and returns the exit status with everything the binary logged.
pub fn stop_binary(child: Child) -> (std::process::ExitStatus, String) {
    let output = stop_program(child);
    (output.status, text(&output))
}

/// Runs the quickstart binary with `args` to its end, in its crate folder (where `bot.yaml`
/// and `convos/` are), with its logs off.
pub fn quickstart<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "off")
        .output()
        .expect("the quickstart runs")
}

/// What a program printed: its standard output, then its standard error.
pub fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

/// The HMAC-SHA256 of `body` with `secret`, in hex: the default signature header's value.
pub fn hmac_sha256_hex(secret: &str, body: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The recorded exchanges in `dir` (`*.json`, sorted: the order they were recorded).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|path| {
        path.extension()
            .is_some_and(|extension| extension == "json")
    });
    files.sort();
    files
}

/// Waits until `dir` holds `count` recorded files (the recorder writes on its own thread).
pub async fn wait_for_files(dir: &Path, count: usize) -> Vec<PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = files(dir);
        if found.len() >= count || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
