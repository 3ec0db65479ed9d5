//! Serves the shop bot: `cargo run -p quickstart`, then point a Chatlayer API step at
//! `http://<this host>:8080/order` (or curl it), and open `http://localhost:8080/docs`.
//! `CHATLAYER_ADDR=host:port` or `PORT` change the address; `RUST_LOG=debug` shows more.
//! `cargo run -p quickstart -- openapi > openapi.json` writes the OpenAPI document instead,
//! `cargo run -p quickstart -- emulate examples/quickstart/bot.yaml` serves the conversation
//! emulator at `/emulator` besides the steps, and `-- help` lists the other commands.
//!
//! There is no logging setup here on purpose: a standalone server logs out of the box.

#[tokio::main]
async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    let app = quickstart::app();
    // `emulate` and `converse` (the `emulator` feature, on by default): a production build
    // (`--no-default-features`) carries none of the emulator.
    #[cfg(feature = "emulator")]
    let app = app.commands(chatlayer_emulator::commands());
    app.run().await
}
