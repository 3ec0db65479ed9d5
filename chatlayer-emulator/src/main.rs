//! `chatlayer-emulator`: the conversation emulator for a backend written in any language.
//!
//! ```text
//! chatlayer-emulator emulate bot.yaml --backend http://localhost:3000
//! chatlayer-emulator converse bot.yaml convos/ --backend https://bot-backend.example.com
//! ```
//!
//! The first serves the emulator page at `http://127.0.0.1:8080/emulator`
//! (`CHATLAYER_ADDR` or `PORT` change the address); the second runs conversation scripts
//! and exits non-zero on the first unmet expectation. A Rust backend built with
//! chatlayer-rs has the same commands built in (`cargo run -- emulate bot.yaml`).

#[tokio::main]
async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    chatlayer_runtime::emulator::run_standalone(std::env::args().skip(1)).await
}
