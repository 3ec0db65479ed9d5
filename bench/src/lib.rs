//! The benchmark harness of chatlayer-rs.
//!
//! `cargo run --release -p chatlayer-bench` serves the quickstart's `POST /order` several
//! ways (the framework, a hand-written axum baseline, FastAPI, Express, a Rasa SDK action
//! server, and a bare hyper ceiling), loads each with `wrk` in alternating rounds, runs the
//! criterion micro-benchmarks and the compile-time benchmark, attacks the quickstart as one
//! machine can ([`attack`]), floods it with large bodies under three allocators ([`memory`]),
//! restarts replicas one by one behind HAProxy under load ([`rolling`]), and writes the
//! results to `bench/results/` and bench/README.md.
//! `-- smoke` is the short run CI does. `-- help` lists the rest.

pub mod attack;
pub mod baseline;
pub mod cli;
pub mod compile;
pub mod http;
pub mod instructions;
pub mod load;
pub mod machine;
pub mod memory;
pub mod micro;
pub mod process;
pub mod readme;
pub mod report;
pub mod rolling;
pub mod servers;
pub mod tools;
pub mod wrk;

/// The request every server gets: the quickstart's order of two `A1`.
pub const ORDER_REQUEST: &str =
    r#"{"sku":"A1","quantity":2,"on_success":"thanks","on_failure":"sorry"}"#;

/// The order as a Chatlayer API step sends it: the bot builder maps the conversation's
/// `sessionId` and the other [`Context`](chatlayer_runtime::Context) rows beside the order's
/// own, plus rows the step does not read (a customer object, a campaign). 300 bytes; the
/// reply is the same as to [`ORDER_REQUEST`].
pub const CHATLAYER_ORDER_REQUEST: &str = concat!(
    r#"{"sessionId":"5f0c6d2e-8a41-4b7e-9c35-2d9e7a1b4c60","botId":"1457","channel":"web","#,
    r#""preferredLanguage":"en","locale":"en-us","version":"LIVE","#,
    r#""sku":"A1","quantity":2,"on_success":"thanks","on_failure":"sorry","#,
    r#""customer":{"id":"C-20931","name":"Ada Lovelace","tier":"gold","optIn":true},"#,
    r#""campaign":"spring-sale"}"#
);

/// Which order body the servers are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestBody {
    /// [`CHATLAYER_ORDER_REQUEST`]: what a Chatlayer API step sends; the primary shape.
    Chatlayer,
    /// [`ORDER_REQUEST`]: the order's own four parameters, nothing else.
    Minimal,
}

impl RequestBody {
    /// The JSON body.
    pub fn json(self) -> &'static str {
        match self {
            RequestBody::Chatlayer => CHATLAYER_ORDER_REQUEST,
            RequestBody::Minimal => ORDER_REQUEST,
        }
    }

    /// Its name in tables and file names.
    pub fn slug(self) -> &'static str {
        match self {
            RequestBody::Chatlayer => "chatlayer",
            RequestBody::Minimal => "minimal",
        }
    }

    /// What it is, in words, for the report.
    pub fn describe(self) -> String {
        match self {
            RequestBody::Chatlayer => format!(
                "the order as Chatlayer sends it ({} bytes: `sessionId` and the other context rows, a nested customer object and rows the step does not read)",
                CHATLAYER_ORDER_REQUEST.len()
            ),
            RequestBody::Minimal => format!(
                "the order's four parameters alone ({} bytes)",
                ORDER_REQUEST.len()
            ),
        }
    }
}

/// The framework's reply to [`ORDER_REQUEST`], byte for byte. The baseline must answer the
/// same bytes and the ceiling answers them as a constant.
pub const ORDER_REPLY: &str = concat!(
    r#"{"session":{"namespace":"order","data":{"quantity":2,"sku":"A1","total":118.0}},"#,
    r#""messages":[{"type":"text","config":{"textMessages":[{"text":"You ordered 2 x Red sneakers for EUR 118.00."}]}}],"#,
    r#""action":{"nextDialogstate":"thanks"}}"#
);

/// The workspace's root directory (the parent of `bench/`).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ has a parent")
        .to_path_buf()
}

/// Where cargo puts its builds: `CARGO_TARGET_DIR`, else `target/` in the workspace.
pub fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The harness's error: what failed, in words a reader can act on.
pub type Error = String;

/// The harness's result.
pub type Result<T> = std::result::Result<T, Error>;
