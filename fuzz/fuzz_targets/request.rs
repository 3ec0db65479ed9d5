//! Fuzzes the request decoder and parameter extraction through the public surface: any
//! bytes, under any content type and query string, must produce a JSON answer with a
//! documented status (never a panic, which the framework would turn into a 500).
//!
//! Run it with `cargo +nightly fuzz run request` from the repository root (after
//! `cargo install cargo-fuzz`).

#![no_main]

use std::sync::OnceLock;

use chatlayer_runtime::prelude::*;
use chatlayer_runtime::testing::TestClient;
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Address {
    city: String,
    zip: Option<u32>,
}

#[api_step("/fuzz")]
async fn fuzz(amount: f64, name: Option<String>, address: Option<Address>, next: Option<BlockId>) -> Reply {
    let _ = (amount, name, address);
    match next {
        Some(block) => Reply::new().set_next_dialog_state(block),
        None => Reply::new(),
    }
}

const CONTENT_TYPES: [&str; 4] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "text/plain",
    "",
];

fn harness() -> &'static (tokio::runtime::Runtime, TestClient) {
    static HARNESS: OnceLock<(tokio::runtime::Runtime, TestClient)> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let app = App::from_steps([fuzz::STEP]).build().unwrap();
        (runtime, TestClient::new(&app))
    })
}

fuzz_target!(|data: &[u8]| {
    let (runtime, client) = harness();
    // First byte: the content type; then a query string up to the first 0 byte; then the body.
    let (selector, rest) = data.split_first().unwrap_or((&0, &[]));
    let (query, body) = match rest.iter().position(|byte| *byte == 0) {
        Some(end) => (&rest[..end], &rest[end + 1..]),
        None => (&[][..], rest),
    };
    let query: String = String::from_utf8_lossy(query)
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '#')
        .collect();
    let mut request = axum::http::Request::post(format!("/fuzz?{query}"));
    let content_type = CONTENT_TYPES[usize::from(*selector) % CONTENT_TYPES.len()];
    if !content_type.is_empty() {
        request = request.header("content-type", content_type);
    }
    let Ok(request) = request.body(axum::body::Body::from(body.to_vec())) else {
        return;
    };
    let response = runtime.block_on(client.send(request));
    assert!([200, 400, 413].contains(&response.status()), "status {}", response.status());
    let _ = response.json();
});
