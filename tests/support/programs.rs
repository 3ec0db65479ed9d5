//! Server programs under test as child processes: started on a free local port and waited
//! for, stopped with SIGTERM as an orchestrator stops them.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Starts `command` (a program that serves on `CHATLAYER_ADDR`) on a free local port, its
/// output piped, and waits until its `/healthz` answers 200 (20 s at most). Returns the
/// process and its port.
pub async fn start_program(mut command: Command) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    command
        .env("CHATLAYER_ADDR", format!("127.0.0.1:{port}"))
        .env_remove("PORT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = format!("http://127.0.0.1:{port}/healthz");
    loop {
        match reqwest::get(&health).await {
            Ok(response) if response.status() == 200 => return (child, port),
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            result => {
                let _ = child.kill();
                panic!("{command:?} did not start serving: {result:?}");
            }
        }
    }
}

/// Sends SIGTERM to `child` and waits for it: its exit status and everything it wrote.
pub fn stop_program(child: Child) -> Output {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait_with_output().unwrap()
}
