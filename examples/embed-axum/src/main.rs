//! Serves the host app on 127.0.0.1:3000 (`cargo run -p embed-axum`); the steps are under
//! http://127.0.0.1:3000/chatlayer/.

use embed_axum::{HostState, host_app};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let app = host_app(HostState::default())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("host app on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
