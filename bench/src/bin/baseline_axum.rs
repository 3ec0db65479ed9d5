//! Serves the hand-written axum baseline ([`chatlayer_bench::baseline`]) on `CHATLAYER_ADDR`
//! (default `127.0.0.1:8081`), with `axum::serve` as an axum user would.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("CHATLAYER_ADDR").unwrap_or_else(|_| "127.0.0.1:8081".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("baseline-axum listening on http://{addr}");
    axum::serve(listener, chatlayer_bench::baseline::router()).await
}
