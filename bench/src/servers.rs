//! The servers under test: how each is started, what it is sent, and what it must answer
//! before its numbers count.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::http::Answer;
use crate::process::Pinning;
use crate::{ORDER_REPLY, RequestBody, Result, tools, workspace_root};

/// One way of serving the order step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    /// The quickstart binary: the step written with chatlayer-rs, as it ships (an access
    /// line per request at `info`, and metrics).
    Framework,
    /// The same binary logging at `warn` (no access line, no request span) with the metrics
    /// switched off: what they cost.
    FrameworkQuiet,
    /// The same step written by hand with axum (`bench/src/bin/baseline_axum.rs`), logging
    /// nothing.
    Baseline,
    /// The hand-written step logging as axum apps usually do: tower-http's `TraceLayer`
    /// with a `tracing-subscriber` fmt layer, a line per request at `info`.
    BaselineLogging,
    /// FastAPI served by uvicorn (`bench/peers/fastapi`).
    FastApi,
    /// Express 5 on Node.js (`bench/peers/express`).
    Express,
    /// A Rasa SDK action server (`bench/peers/rasa`), sent the equivalent tracker.
    RasaSdk,
    /// A bare hyper server answering a constant (`bench/src/bin/ceiling_hyper.rs`).
    Ceiling,
    /// The order step awaiting a dependency ([`IO_DELAY_MS`]) first, served by the
    /// framework (`bench/src/bin/framework_io.rs`): the I/O-bound shape.
    FrameworkIo,
    /// The baseline's handler awaiting the same dependency first.
    BaselineIo,
}

/// How long the I/O-bound shape's step awaits its stand-in for a database, in milliseconds.
pub const IO_DELAY_MS: u64 = 5;

/// The variable that tells `framework-io` and `baseline-axum` how long the step awaits, in
/// milliseconds.
pub const STEP_DELAY_ENV: &str = "BENCH_STEP_DELAY_MS";

/// The variable that makes `baseline-axum` log as axum apps usually do (`TraceLayer` and a
/// fmt subscriber), at the level it names.
pub const BASELINE_LOGS_ENV: &str = "BENCH_BASELINE_LOGS";

/// The delay [`STEP_DELAY_ENV`] asks for, when it is set to a number.
pub fn step_delay() -> Option<std::time::Duration> {
    std::env::var(STEP_DELAY_ENV)
        .ok()
        .and_then(|millis| millis.parse().ok())
        .map(std::time::Duration::from_millis)
}

impl ServerKind {
    /// Every server of the full run, in the order of the report.
    pub const ALL: [ServerKind; 8] = [
        ServerKind::Framework,
        ServerKind::FrameworkQuiet,
        ServerKind::Baseline,
        ServerKind::BaselineLogging,
        ServerKind::Ceiling,
        ServerKind::FastApi,
        ServerKind::Express,
        ServerKind::RasaSdk,
    ];

    /// The servers of the I/O-bound shape.
    pub const IO_BOUND: [ServerKind; 2] = [ServerKind::FrameworkIo, ServerKind::BaselineIo];

    /// The servers of the smoke run.
    pub const SMOKE: [ServerKind; 4] = [
        ServerKind::Framework,
        ServerKind::FrameworkQuiet,
        ServerKind::Baseline,
        ServerKind::BaselineLogging,
    ];

    /// The name in tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            ServerKind::Framework => "chatlayer-rs",
            ServerKind::FrameworkQuiet => "chatlayer-rs, logs at warn, no metrics",
            ServerKind::Baseline => "axum by hand (baseline)",
            ServerKind::BaselineLogging => "axum by hand, TraceLayer + fmt at info",
            ServerKind::Ceiling => "bare hyper, constant reply",
            ServerKind::FastApi => "FastAPI + uvicorn",
            ServerKind::Express => "Express 5",
            ServerKind::RasaSdk => "Rasa SDK action server",
            ServerKind::FrameworkIo => "chatlayer-rs, step awaits 5 ms",
            ServerKind::BaselineIo => "axum by hand, handler awaits 5 ms (baseline)",
        }
    }

    /// A short name for files and `--only`.
    pub fn slug(self) -> &'static str {
        match self {
            ServerKind::Framework => "framework",
            ServerKind::FrameworkQuiet => "framework-quiet",
            ServerKind::Baseline => "baseline",
            ServerKind::BaselineLogging => "baseline-logging",
            ServerKind::Ceiling => "ceiling",
            ServerKind::FastApi => "fastapi",
            ServerKind::Express => "express",
            ServerKind::RasaSdk => "rasa-sdk",
            ServerKind::FrameworkIo => "framework-io",
            ServerKind::BaselineIo => "baseline-io",
        }
    }

    /// The server a slug names.
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain(Self::IO_BOUND)
            .find(|kind| kind.slug() == slug)
    }

    /// Whether the server is the hand-written baseline the others are compared with (the
    /// one that logs nothing).
    pub fn is_baseline(self) -> bool {
        matches!(self, ServerKind::Baseline | ServerKind::BaselineIo)
    }

    /// Whether the server is the framework as it ships.
    pub fn is_framework(self) -> bool {
        matches!(self, ServerKind::Framework | ServerKind::FrameworkIo)
    }

    /// Whether the server is one of the peers (which need Python or Node.js).
    pub fn is_peer(self) -> bool {
        matches!(
            self,
            ServerKind::FastApi | ServerKind::Express | ServerKind::RasaSdk
        )
    }

    /// The path the request goes to.
    pub fn path(self) -> &'static str {
        match self {
            ServerKind::RasaSdk => "/webhook",
            _ => "/order",
        }
    }

    /// The request body: the order as `request` shapes it, or for Rasa the tracker
    /// carrying it as slots (whatever the shape: Rasa is sent what Rasa sends).
    pub fn body(self, request: RequestBody) -> Result<String> {
        match self {
            ServerKind::RasaSdk => {
                let text = tools::read(&workspace_root().join("bench/peers/rasa/request.json"))?;
                // Compact, as a Rasa server would send it.
                let value: Value = serde_json::from_str(&text)
                    .map_err(|error| format!("bench/peers/rasa/request.json: {error}"))?;
                Ok(value.to_string())
            }
            _ => Ok(request.json().to_owned()),
        }
    }

    /// The command that starts the server on `addr`.
    pub fn command(
        self,
        installed: &Installed,
        pinning: Pinning,
        addr: SocketAddr,
    ) -> Result<Command> {
        let peers = workspace_root().join("bench/peers");
        let rust = |binary: &str| -> Result<Command> {
            let dir = installed
                .release_dir
                .as_ref()
                .ok_or("the Rust servers are not built")?;
            let mut command = pinning.server_command(&dir.join(binary).to_string_lossy());
            command.env("CHATLAYER_ADDR", addr.to_string());
            Ok(command)
        };
        let python = || -> Result<Command> {
            let python = installed
                .python
                .as_ref()
                .ok_or("the Python peers are not installed")?;
            let mut command = pinning.server_command(&python.to_string_lossy());
            command.env("PYTHONPYCACHEPREFIX", tools::tools_dir().join("pycache"));
            Ok(command)
        };
        Ok(match self {
            ServerKind::Framework => rust("quickstart")?,
            ServerKind::FrameworkQuiet => {
                let mut command = rust("quickstart")?;
                command
                    .env("RUST_LOG", "warn")
                    .env("CHATLAYER_ACCESS_LOG", "off")
                    .env("CHATLAYER_METRICS", "off");
                command
            }
            ServerKind::Baseline => rust("baseline-axum")?,
            ServerKind::BaselineLogging => {
                let mut command = rust("baseline-axum")?;
                command.env(BASELINE_LOGS_ENV, "info");
                command
            }
            ServerKind::FrameworkIo => {
                let mut command = rust("framework-io")?;
                command.env(STEP_DELAY_ENV, IO_DELAY_MS.to_string());
                command
            }
            ServerKind::BaselineIo => {
                let mut command = rust("baseline-axum")?;
                command.env(STEP_DELAY_ENV, IO_DELAY_MS.to_string());
                command
            }
            ServerKind::Ceiling => rust("ceiling-hyper")?,
            ServerKind::FastApi => {
                let mut command = python()?;
                command
                    .args([
                        "-m",
                        "uvicorn",
                        "app:app",
                        "--no-access-log",
                        "--log-level",
                        "warning",
                    ])
                    .args([
                        "--host",
                        &addr.ip().to_string(),
                        "--port",
                        &addr.port().to_string(),
                    ])
                    .current_dir(peers.join("fastapi"));
                command
            }
            ServerKind::RasaSdk => {
                let mut command = python()?;
                command
                    .args([
                        "-m",
                        "rasa_sdk",
                        "--actions",
                        "actions",
                        "-p",
                        &addr.port().to_string(),
                    ])
                    .current_dir(peers.join("rasa"));
                command
            }
            ServerKind::Express => {
                let dir = installed
                    .express
                    .as_ref()
                    .ok_or("Express is not installed")?;
                let mut command = pinning.server_command("node");
                command
                    .arg("server.js")
                    .env("NODE_ENV", "production")
                    .env("CHATLAYER_ADDR", addr.to_string())
                    .current_dir(dir);
                command
            }
        })
    }

    /// Whether `answer` is the right answer to [`body`](Self::body): byte for byte for the
    /// Rust servers, the same JSON for FastAPI and Express, the same order in Rasa's events.
    pub fn check(self, answer: &Answer) -> Result<()> {
        let body = String::from_utf8_lossy(&answer.body);
        if answer.status != 200 {
            return Err(format!(
                "{} answered {}: {body}",
                self.label(),
                answer.status
            ));
        }
        let wrong = |why: &str| Err(format!("{} answered {why}: {body}", self.label()));
        match self {
            ServerKind::Framework
            | ServerKind::FrameworkQuiet
            | ServerKind::Baseline
            | ServerKind::BaselineLogging
            | ServerKind::Ceiling
            | ServerKind::FrameworkIo
            | ServerKind::BaselineIo => {
                if body != ORDER_REPLY {
                    return wrong(&format!(
                        "other bytes than the framework's reply {ORDER_REPLY}"
                    ));
                }
            }
            ServerKind::FastApi | ServerKind::Express => {
                let expected: Value = serde_json::from_str(ORDER_REPLY).expect("valid JSON");
                match serde_json::from_slice::<Value>(&answer.body) {
                    Ok(value) if same_json(&value, &expected) => {}
                    _ => return wrong("another reply than the framework's"),
                }
            }
            ServerKind::RasaSdk => {
                let value: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
                let expected = serde_json::json!({
                    "events": [
                        {"event": "slot", "timestamp": null, "name": "order",
                         "value": {"quantity": 2, "sku": "A1", "total": 118.0}},
                        {"event": "followup", "timestamp": null, "name": "utter_thanks"},
                    ],
                });
                let text = &value["responses"][0]["text"];
                if !same_json(&value["events"], &expected["events"])
                    || text != "You ordered 2 x Red sneakers for EUR 118.00."
                {
                    return wrong("another order than the framework's");
                }
            }
        }
        Ok(())
    }
}

/// JSON equality where numbers compare by value: JavaScript writes `118.0` as `118`.
pub fn same_json(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_json(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| same_json(a, b)))
        }
        (a, b) => a == b,
    }
}

/// What the harness installed or built, by kind of server.
#[derive(Debug, Default)]
pub struct Installed {
    /// `target/release`, holding `quickstart`, `baseline-axum` and `ceiling-hyper`.
    pub release_dir: Option<PathBuf>,
    /// The Python of the peers' venv.
    pub python: Option<PathBuf>,
    /// The Express app with its `node_modules`.
    pub express: Option<PathBuf>,
}

impl Installed {
    /// Builds and installs what `servers` need.
    pub fn prepare(servers: &[ServerKind]) -> Result<Self> {
        let mut installed = Installed {
            release_dir: Some(tools::build_rust_servers()?),
            ..Installed::default()
        };
        if servers
            .iter()
            .any(|kind| matches!(kind, ServerKind::FastApi | ServerKind::RasaSdk))
        {
            installed.python = Some(tools::ensure_python_peers()?);
        }
        if servers.contains(&ServerKind::Express) {
            installed.express = Some(tools::ensure_express()?);
        }
        Ok(installed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: String::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn rust_servers_must_answer_the_exact_bytes() {
        assert!(
            ServerKind::Baseline
                .check(&answer(200, ORDER_REPLY))
                .is_ok()
        );
        let spaced = ORDER_REPLY.replace(':', ": ");
        assert!(ServerKind::Baseline.check(&answer(200, &spaced)).is_err());
        assert!(
            ServerKind::Framework
                .check(&answer(400, ORDER_REPLY))
                .is_err()
        );
    }

    #[test]
    fn peers_must_answer_the_same_json() {
        let javascript = ORDER_REPLY.replace("\"total\":118.0", "\"total\":118");
        assert!(ServerKind::Express.check(&answer(200, &javascript)).is_ok());
        let wrong_total = ORDER_REPLY.replace("\"total\":118.0", "\"total\":117.0");
        assert!(
            ServerKind::FastApi
                .check(&answer(200, &wrong_total))
                .is_err()
        );
    }
}
