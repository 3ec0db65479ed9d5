//! Helpers shared by the emulator's test binaries: a backend on a real socket, and the
//! standalone command run in a folder of its own.

// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use axum::Router;

/// Serves `router` on a free local port; its base URL.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

/// Runs the standalone `chatlayer-emulator` with `args` in a fresh folder named after
/// `name` holding `files` (name, text), with `env` and logs off; the folder is removed
/// after. Whether it succeeded, and its standard output then standard error.
pub fn standalone(
    name: &str,
    files: &[(&str, &str)],
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, String) {
    let dir = folder(name, files);
    let output = Command::new(env!("CARGO_BIN_EXE_chatlayer-emulator"))
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "off")
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

/// A fresh folder named after `name` in the temporary folder, holding `files` (name, text);
/// remove it when done.
pub fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chatlayer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}
