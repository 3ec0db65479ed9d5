//! Serves the host app (`cargo run -p embed-axum`) on the framework's hardened server:
//! header and idle timeouts, a bound on connections with silent ones evicted first, and a
//! drain on SIGTERM that answers every request it accepted. The address is `CHATLAYER_ADDR`
//! (default `127.0.0.1:8080`, or `0.0.0.0:$PORT`); the steps are under `/chatlayer/`.

use chatlayer_runtime::server::Server;
use embed_axum::{HostState, host_app};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The host's own logging: a program that installs a subscriber keeps it.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let host = host_app(HostState::default())?;
    let server = Server::from_env()?.for_app(&host.steps);
    tracing::info!("host app on http://{}", server.address());
    server.serve(host.router).await?;
    Ok(())
}
