//! Serves the shop bot: `cargo run -p quickstart`, then point a Chatlayer API step at
//! `http://<this host>:8080/order` (or curl it), and open `http://localhost:8080/docs`.
//! `CHATLAYER_ADDR=host:port` or `PORT` change the address; `RUST_LOG=debug` shows more.
//! `cargo run -p quickstart -- openapi > openapi.json` writes the OpenAPI document instead,
//! and `-- help` lists the other commands.

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    quickstart::app().run().await
}
