//! `chatlayer-emulator`: the conversation emulator for a backend written in any language.
//!
//! ```text
//! chatlayer-emulator emulate bot.yaml --backend http://localhost:3000
//! chatlayer-emulator converse bot.yaml convos/ --backend https://bot-backend.example.com
//! ```
//!
//! The first serves the emulator page at `http://127.0.0.1:8080/emulator`
//! (`CHATLAYER_ADDR` or `PORT` change the address); the second runs conversation scripts
//! (every one of them) and exits non-zero when any expectation is unmet. A Rust backend built with
//! chatlayer-rs gets the same commands in its own binary (the `app` feature).

#[tokio::main]
async fn main() -> Result<(), chatlayer_emulator::Error> {
    // Lines to standard error, filtered by RUST_LOG (`info` by default).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    chatlayer_emulator::run_standalone(std::env::args().skip(1)).await
}
