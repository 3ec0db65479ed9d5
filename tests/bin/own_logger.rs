//! A standalone server whose program installs its own logger (JSON lines), as a program with
//! its own logging does: the framework must keep it, not install its default one over it.
//! Serves on `CHATLAYER_ADDR`; stops on SIGTERM.

use chatlayer_runtime::prelude::*;

/// Says hello.
#[api_step("/hello")]
async fn hello(name: String) -> Reply {
    Reply::new().add_message(format!("Hello {name}"))
}

#[tokio::main]
async fn main() -> Result<(), chatlayer_runtime::ServeError> {
    tracing_subscriber::fmt().json().with_ansi(false).init();
    App::from_steps([hello::STEP]).serve().await
}
