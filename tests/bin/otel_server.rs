//! A standalone server built with the `otel` feature and no logging setup of its own: the
//! framework's default subscriber exports its request spans over OTLP to
//! `OTEL_EXPORTER_OTLP_ENDPOINT`. Serves on `CHATLAYER_ADDR`; stops on SIGTERM.

use chatlayer_runtime::prelude::*;

/// Says hello, and logs on the way: the event belongs to the request's span.
#[api_step("/hello")]
async fn hello(name: String) -> Reply {
    tracing::info!(length = name.len(), "greeting");
    Reply::new().add_message(format!("Hello {name}"))
}

#[tokio::main]
async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    App::from_steps([hello::STEP]).serve().await
}
