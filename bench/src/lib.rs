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
