//! The tools and peers the harness needs beyond the Rust toolchain, installed from their own
//! registries: `wrk` from Debian, the Python peers from PyPI into a venv, Express from npm.
//! Everything lands under `target/bench/tools`, so the repository stays clean.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Result, target_dir, workspace_root};

/// Where installed tools live.
pub fn tools_dir() -> PathBuf {
    target_dir().join("bench").join("tools")
}

/// Runs `command`, failing with its output when it fails.
pub fn run(what: &str, command: &mut Command) -> Result<String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot {what} ({command:?}): {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "cannot {what}: {command:?} failed ({})\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The first line a program prints for `args` (its version, typically), or "not found".
pub fn version_of(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()
        .map(|output| {
            let text = if output.stdout.is_empty() {
                output.stderr
            } else {
                output.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        })
        .filter(|line| !line.is_empty())
        .unwrap_or_else(|| "not found".to_owned())
}

/// `wrk`, installed with apt-get when missing (as root, as on CI).
pub fn ensure_wrk() -> Result<()> {
    ensure_debian_program("wrk", "wrk")
}

/// `program`, installed from Debian's `package` with apt-get when it is not on the path.
pub fn ensure_debian_program(program: &str, package: &str) -> Result<()> {
    if found(program) {
        return Ok(());
    }
    eprintln!("installing {package} from Debian's packages");
    run(
        "update apt's package lists",
        Command::new("apt-get").args(["update", "-qq"]),
    )?;
    run(
        &format!("install {package}"),
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends", package])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    Ok(())
}

fn found(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The venv's Python, with `bench/peers/requirements.txt` installed (once per change of
/// that file).
pub fn ensure_python_peers() -> Result<PathBuf> {
    let venv = tools_dir().join("venv");
    let python = venv.join("bin").join("python");
    let requirements = workspace_root().join("bench/peers/requirements.txt");
    let stamp = venv.join("installed-requirements.txt");
    let wanted = read(&requirements)?;
    if python.exists() && fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    eprintln!(
        "installing the Python peers from PyPI into {}",
        venv.display()
    );
    run(
        "create a Python venv",
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
    )?;
    run(
        "install the Python peers",
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
    )?;
    write(&stamp, &wanted)?;
    Ok(python)
}

/// A copy of `bench/peers/express` with its locked dependencies installed by `npm ci`.
pub fn ensure_express() -> Result<PathBuf> {
    let source = workspace_root().join("bench/peers/express");
    let dir = tools_dir().join("express");
    let lock = read(&source.join("package-lock.json"))?;
    let stamp = dir.join("installed-package-lock.json");
    fs::create_dir_all(&dir)
        .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    for file in ["package.json", "package-lock.json", "server.js"] {
        fs::copy(source.join(file), dir.join(file))
            .map_err(|error| format!("cannot copy {file} to {}: {error}", dir.display()))?;
    }
    if fs::read_to_string(&stamp).ok().as_deref() != Some(lock.as_str()) {
        eprintln!("installing Express from npm into {}", dir.display());
        run(
            "install Express",
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir),
        )?;
        write(&stamp, &lock)?;
    }
    Ok(dir)
}

/// Builds the Rust servers in release mode and returns the directory holding them.
pub fn build_rust_servers() -> Result<PathBuf> {
    eprintln!("building the Rust servers (release)");
    let status = Command::new(cargo())
        .args([
            "build",
            "--release",
            "-p",
            "quickstart",
            "-p",
            "embed-axum",
            "-p",
            "chatlayer-bench",
            "--bins",
        ])
        .current_dir(workspace_root())
        .status()
        .map_err(|error| format!("cannot run cargo build: {error}"))?;
    if !status.success() {
        return Err(format!("cargo build of the Rust servers failed ({status})"));
    }
    Ok(target_dir().join("release"))
}

/// The cargo running the harness (`cargo run` sets `CARGO`), else the one on the path.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Reads a file, with its path in the error.
pub fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
}

/// Writes a file (creating its directory), with its path in the error.
pub fn write(path: &Path, contents: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
    }
    fs::write(path, contents).map_err(|error| format!("cannot write {}: {error}", path.display()))
}
