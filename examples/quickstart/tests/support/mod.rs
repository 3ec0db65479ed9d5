//! Helpers shared by the quickstart's test binaries that run the quickstart itself.

// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts the quickstart binary with `args` on a free port with `env`, and waits until
/// `/healthz` answers. Its output is piped (read it with `wait_with_output`).
pub async fn start_binary(args: &[&str], env: &[(&str, &str)]) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_quickstart"));
    command
        .args(args)
        .env("CHATLAYER_ADDR", format!("127.0.0.1:{port}"))
        .env_remove("PORT")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the quickstart binary starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = format!("http://127.0.0.1:{port}/healthz");
    loop {
        match reqwest::get(&health).await {
            Ok(response) if response.status() == 200 => return (child, port),
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            result => {
                let _ = child.kill();
                panic!("the quickstart did not start serving: {result:?}");
            }
        }
    }
}

/// Sends SIGTERM and returns the exit status with everything the binary logged.
pub fn stop_binary(child: Child) -> (std::process::ExitStatus, String) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status, log)
}
