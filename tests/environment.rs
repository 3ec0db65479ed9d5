//! What the process environment and the program's own setup change, over real sockets:
//! security settings from the environment protect the app however it is served (its own
//! server, `serve_with`, a host's router) and are declared in its OpenAPI document; an app
//! told to ignore them says so; a program's own logger is kept.
//!
//! Tests that need environment variables run in a child process of this test binary, so
//! that no test changes the environment of another.

use std::process::Command;

use chatlayer_runtime::prelude::*;
use chatlayer_runtime::testing::TestServer;
use chatlayer_tests::logs::Logs;
use chatlayer_tests::programs::{start_program, stop_program};
use serde_json::Value;

const TOKEN: &str = "env-token-51c2";

/// Says hello.
#[api_step("/hello")]
async fn hello(name: String) -> Reply {
    Reply::new().add_message(format!("Hello {name}"))
}

/// Runs the ignored test `name` of this binary in a child process with `env`, and asserts
/// that it ran and passed.
fn run_child(name: &str, env: &[(&str, &str)]) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (variable, value) in env {
        command.env(variable, value);
    }
    let output = command.output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && text.contains("1 passed"),
        "{name} failed in the child:\n{text}"
    );
}

/// The child runs only where the parent set the variable; elsewhere (`--include-ignored`)
/// it has nothing to check.
fn child_environment(variable: &str) -> Option<String> {
    let value = std::env::var(variable).ok();
    if value.is_none() {
        eprintln!("skipped: run by its parent test, with {variable} set");
    }
    value
}

#[test]
fn a_token_in_the_environment_protects_every_entry_point() {
    run_child(
        "every_entry_point_is_protected",
        &[("CHATLAYER_BEARER_TOKEN", TOKEN)],
    );
}

/// Before, the environment protected `serve()` only: `serve_with` and the router of an
/// embedding app answered 200 to anyone, and the document declared nothing.
#[tokio::test]
#[ignore = "run in a child process by a_token_in_the_environment_protects_every_entry_point"]
async fn every_entry_point_is_protected() {
    let Some(token) = child_environment("CHATLAYER_BEARER_TOKEN") else {
        return;
    };
    let app = App::from_steps([hello::STEP]).build().unwrap();
    assert_eq!(app.openapi().security.len(), 1, "the document declares it");

    // `serve_with`, through the test server.
    let served = TestServer::start(app.clone()).await.unwrap();
    // A host app nesting the router, served by axum itself.
    let host = axum::Router::new().nest("/chatlayer", app.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, host).await });

    let client = reqwest::Client::new();
    for url in [served.url("/hello"), format!("{host_url}/chatlayer/hello")] {
        let refused = client
            .post(&url)
            .json(&json!({ "name": "Ada" }))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401, "{url}");
        let admitted = client
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({ "name": "Ada" }))
            .send()
            .await
            .unwrap();
        assert_eq!(admitted.status(), 200, "{url}");
    }
    let document: Value = reqwest::get(format!("{host_url}/chatlayer/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["security"], json!([{ "bearerAuth": [] }]));
}

#[test]
fn an_app_that_ignores_the_environment_says_what_nothing_applies() {
    run_child(
        "ignoring_the_environment_is_not_silent",
        &[("CHATLAYER_SIGNATURE_SECRET", "s3cret")],
    );
}

#[tokio::test]
#[ignore = "run in a child process by an_app_that_ignores_the_environment_says_what_nothing_applies"]
async fn ignoring_the_environment_is_not_silent() {
    if child_environment("CHATLAYER_SIGNATURE_SECRET").is_none() {
        return;
    }
    let logs = Logs::capture();
    let app = App::from_steps([hello::STEP])
        .security(chatlayer_runtime::security::Security::new().from_env(false))
        .build()
        .unwrap();
    let text = logs.text();
    assert!(
        text.contains("WARN")
            && text.contains("CHATLAYER_SIGNATURE_SECRET is set, but this app ignores"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "the secret was logged: {text}");
    let server = TestServer::start(app).await.unwrap();
    let answer = reqwest::Client::new()
        .post(server.url("/hello"))
        .json(&json!({ "name": "Ada" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "the app said it ignores the secret");
}

/// A program that installed its own logger keeps it: every line the server writes is the
/// program's JSON, none the framework's default text.
#[tokio::test]
async fn a_programs_own_logger_is_kept() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_own-logger"));
    command.env("RUST_LOG", "info");
    let (child, _) = start_program(command).await;
    let output = stop_program(child);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = std::str::from_utf8(&output.stdout)
        .unwrap()
        .lines()
        .collect();
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.trim().is_empty(),
        "the default logger wrote: {stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("serving 1 Chatlayer step")),
        "{lines:?}"
    );
    for line in &lines {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|_| panic!("not the program's JSON logger: {line}"));
    }
}
