//! Serves the hand-written axum baseline ([`chatlayer_bench::baseline`]) on `CHATLAYER_ADDR`
//! (default `127.0.0.1:8081`), with `axum::serve` as an axum user would. With
//! `BENCH_STEP_DELAY_MS` set, the handler awaits that long before answering (the I/O-bound
//! shape).

use std::time::Duration;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("CHATLAYER_ADDR").unwrap_or_else(|_| "127.0.0.1:8081".to_owned());
    let delay = std::env::var("BENCH_STEP_DELAY_MS")
        .ok()
        .and_then(|millis| millis.parse().ok())
        .map(Duration::from_millis);
    let router = match delay {
        Some(delay) => chatlayer_bench::baseline::router_awaiting(delay),
        None => chatlayer_bench::baseline::router(),
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("baseline-axum listening on http://{addr}");
    axum::serve(listener, router).await
}
