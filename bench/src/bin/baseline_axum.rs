//! Serves the hand-written axum baseline ([`chatlayer_bench::baseline`]) on `CHATLAYER_ADDR`
//! (default `127.0.0.1:8081`), with `axum::serve` as an axum user would. With
//! `BENCH_STEP_DELAY_MS` set, the handler awaits that long before answering (the I/O-bound
//! shape).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("CHATLAYER_ADDR").unwrap_or_else(|_| "127.0.0.1:8081".to_owned());
    let router = match chatlayer_bench::servers::step_delay() {
        Some(delay) => chatlayer_bench::baseline::router_awaiting(delay),
        None => chatlayer_bench::baseline::router(),
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("baseline-axum listening on http://{addr}");
    axum::serve(listener, router).await
}
