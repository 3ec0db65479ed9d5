//! Serves the hand-written axum baseline ([`chatlayer_bench::baseline`]) on `CHATLAYER_ADDR`
//! (default `127.0.0.1:8081`), with `axum::serve` as an axum user would. With
//! `BENCH_STEP_DELAY_MS` set, the handler awaits that long before answering (the I/O-bound
//! shape); with `BENCH_BASELINE_LOGS=info`, it logs as axum apps usually do: tower-http's
//! `TraceLayer` (a span per request, a line when it is answered) into a `tracing-subscriber`
//! fmt layer on standard output.

use chatlayer_bench::servers::{BASELINE_LOGS_ENV, step_delay};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("CHATLAYER_ADDR").unwrap_or_else(|_| "127.0.0.1:8081".to_owned());
    let mut router = match step_delay() {
        Some(delay) => chatlayer_bench::baseline::router_awaiting(delay),
        None => chatlayer_bench::baseline::router(),
    };
    if let Ok(level) = std::env::var(BASELINE_LOGS_ENV) {
        // The setup of axum's own examples and most apps: the env filter, the fmt layer.
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(level))
            .init();
        router = router.layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        );
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("baseline-axum listening on http://{addr}");
    axum::serve(listener, router).await
}
