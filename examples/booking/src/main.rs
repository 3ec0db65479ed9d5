//! Serves the salon app on `BOOKING_ADDR` (default `127.0.0.1:3000`); the Chatlayer steps
//! are under `/chatlayer`. Set `CHATLAYER_BEARER_TOKEN` to require a token from Chatlayer:
//! the embedded steps apply the environment's security settings like a standalone server.

use std::net::SocketAddr;

use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The salon's own logging; the steps' log lines go through it.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=debug")),
        )
        .init();
    let app = booking::salon_app()?;
    let address = std::env::var("BOOKING_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("salon app on http://{}", listener.local_addr()?);
    // The caller's address, for an IP allow-list (CHATLAYER_ALLOW_IPS).
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
