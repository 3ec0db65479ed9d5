//! What the process environment and the program's own setup change, over real sockets:
//! security settings from the environment protect the app however it is served (its own
//! server, `serve_with`, a host's router) and are declared in its OpenAPI document; an app
//! told to ignore them says so; a program's own logger is kept.
//!
//! The environment is handed to each app (`AppBuilder::environment`) instead of set in the
//! process, so that no test changes the environment of another.

use std::process::{Command, Stdio};

use chatlayer_runtime::config::{Environment, Variable};
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

/// Before, the environment protected `serve()` only: `serve_with` and the router of an
/// embedding app answered 200 to anyone, and the document declared nothing. The
/// environment is handed to the app (`AppBuilder::environment`), as the process's would be
/// read, so no test changes another's.
#[tokio::test]
async fn a_token_in_the_environment_protects_every_entry_point() {
    let app = App::from_steps([hello::STEP])
        .environment(Environment::empty().with(Variable::BearerToken, TOKEN))
        .build()
        .unwrap();
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
            .bearer_auth(TOKEN)
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

#[tokio::test]
async fn an_app_that_ignores_the_environment_says_what_nothing_applies() {
    let logs = Logs::capture();
    let app = App::from_steps([hello::STEP])
        .environment(Environment::empty().with(Variable::SignatureSecret, "s3cret"))
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

/// The commands that only read the app never make its `provide_with` dependencies: the
/// container's health probe, `help`, `openapi`, `steps`, `sign` and `contract` ran the
/// app's start-up (an app's `Db::open()` created its database file). Serving makes them,
/// and a dependency that cannot be made stops the start, naming it.
#[tokio::test]
async fn commands_that_do_not_serve_make_no_dependency() {
    let dir = std::env::temp_dir().join(format!("chatlayer-deferred-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let marker = dir.join("returns.db");
    let program = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_deferred-startup"));
        command
            .env("DEFERRED_MARKER", &marker)
            .env("RUST_LOG", "off")
            .env("CHATLAYER_ADDR", "127.0.0.1:9");
        command
    };
    for args in [
        &["help"][..],
        &["openapi"],
        &["steps"],
        &["sign"],
        &["contract", dir.to_str().unwrap()],
        &["healthcheck"],
    ] {
        let output = program().args(args).stdin(Stdio::null()).output().unwrap();
        assert!(
            !marker.exists(),
            "`{}` made the dependency: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let (child, port) = start_program(program()).await;
    assert!(marker.exists(), "serving did not make the dependency");
    let answer = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/returns"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(stop_program(child).status.success());

    let failed = program()
        .env("DEFERRED_FAIL", "1")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success(), "{said}");
    assert!(
        said.contains(
            "the dependency `deferred_startup::Db` could not be made: read-only file system"
        ),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
